# The clock counts days as the Unix epoch does (each expected day checked with
# `date -u -d <date> +%s` / 86400), periods turn on the first day of each, and the generation is
# the spec's password_version where rotation is off and grows with the version and the period
# where it is on. No provider: plain plans of the module's outputs.

variables {
  password_version = 1
  rotation_days    = null
}

run "the_epoch_is_day_zero" {
  command = plan

  variables {
    timestamp = "1970-01-01T00:00:00Z"
  }

  assert {
    condition     = output.days_since_1970 == 0
    error_message = "1970-01-01 is day 0, got ${output.days_since_1970}"
  }
}

run "known_days_match_the_unix_clock" {
  command = plan

  variables {
    timestamp = "2026-12-07T23:59:59Z"
  }

  assert {
    condition     = output.days_since_1970 == 20794
    error_message = "2026-12-07 (its last second) is day 20794, got ${output.days_since_1970}"
  }
}

run "the_day_before_a_century_leap_day" {
  command = plan

  variables {
    timestamp = "1999-12-31T12:00:00Z"
  }

  assert {
    condition     = output.days_since_1970 == 10956
    error_message = "1999-12-31 is day 10956, got ${output.days_since_1970}"
  }
}

run "a_century_leap_day" {
  command = plan

  variables {
    timestamp = "2000-02-29T00:00:00Z"
  }

  assert {
    condition     = output.days_since_1970 == 11016
    error_message = "2000-02-29 is day 11016, got ${output.days_since_1970}"
  }
}

run "march_first_after_a_leap_day" {
  command = plan

  variables {
    timestamp = "2000-03-01T00:00:00Z"
  }

  assert {
    condition     = output.days_since_1970 == 11017
    error_message = "2000-03-01 is day 11017, got ${output.days_since_1970}"
  }
}

run "a_leap_day" {
  command = plan

  variables {
    timestamp = "2024-02-29T06:30:00Z"
  }

  assert {
    condition     = output.days_since_1970 == 19782
    error_message = "2024-02-29 is day 19782, got ${output.days_since_1970}"
  }
}

run "a_century_without_a_leap_day" {
  command = plan

  variables {
    timestamp = "2100-03-01T00:00:00Z"
  }

  assert {
    condition     = output.days_since_1970 == 47541
    error_message = "2100-03-01 is day 47541 (2100 has no 29 February), got ${output.days_since_1970}"
  }
}

run "new_year" {
  command = plan

  variables {
    timestamp = "2026-01-01T00:00:00Z"
  }

  assert {
    condition     = output.days_since_1970 == 20454
    error_message = "2026-01-01 is day 20454, got ${output.days_since_1970}"
  }
}

run "without_rotation_the_generation_is_the_password_version" {
  command = plan

  variables {
    timestamp        = "2026-12-07T04:00:00Z"
    password_version = 3
  }

  assert {
    condition     = output.generation == 3 && output.period == null
    error_message = "rotation off: the generation is password_version (3), got ${output.generation}"
  }
}

run "zero_rotation_days_is_off" {
  command = plan

  variables {
    timestamp        = "2026-12-07T04:00:00Z"
    password_version = 2
    rotation_days    = 0
  }

  assert {
    condition     = output.generation == 2 && output.period == null
    error_message = "rotation_days = 0 is off: the generation is password_version (2), got ${output.generation}"
  }
}

# 90-day periods: day 20790 (2026-12-03) starts period 231, day 20789 (2026-12-02) ends 230.
run "the_last_second_of_a_period" {
  command = plan

  variables {
    timestamp     = "2026-12-02T23:59:59Z"
    rotation_days = 90
  }

  assert {
    condition     = output.period == 230 && output.generation == 1000230
    error_message = "2026-12-02 is in period 230 (generation 1000230), got ${output.period} (${output.generation})"
  }
}

run "the_first_second_of_the_next_period" {
  command = plan

  variables {
    timestamp     = "2026-12-03T00:00:00Z"
    rotation_days = 90
  }

  assert {
    condition     = output.period == 231 && output.generation == 1000231
    error_message = "2026-12-03 starts period 231 (generation 1000231), got ${output.period} (${output.generation})"
  }
}

run "a_period_lasts_its_days" {
  command = plan

  variables {
    timestamp     = "2027-03-02T23:59:59Z"
    rotation_days = 90
  }

  assert {
    condition     = output.period == 231
    error_message = "2027-03-02, day 20879, is still in period 231, got ${output.period}"
  }
}

run "a_raised_version_outranks_every_period_of_the_last" {
  command = plan

  variables {
    timestamp        = "2026-12-03T00:00:00Z"
    password_version = 2
    rotation_days    = 1
  }

  # Daily rotation has the most periods: day 20790 is period 20790.
  assert {
    condition     = output.generation == 2020790 && output.generation > 1 * 1000000 + 999999
    error_message = "version 2 must outrank any generation of version 1, got ${output.generation}"
  }
}

run "turning_rotation_on_raises_the_generation" {
  command = plan

  variables {
    timestamp        = "1970-01-01T00:00:00Z"
    password_version = 7
    rotation_days    = 365
  }

  # Even in period 0 the generation is above the version alone.
  assert {
    condition     = output.generation == 7000000
    error_message = "rotation on in period 0: generation 7000000, got ${output.generation}"
  }
}

run "refuses_a_time_that_is_not_utc" {
  command = plan

  variables {
    timestamp = "2026-12-07T04:00:00+02:00"
  }

  expect_failures = [var.timestamp]
}

run "refuses_rotation_beyond_a_year" {
  command = plan

  variables {
    timestamp     = "2026-12-07T04:00:00Z"
    rotation_days = 366
  }

  expect_failures = [var.rotation_days]
}
