# The generation of the database password at a moment: the spec's password_version where rotation
# is off (so a stack without rotation plans exactly as before), else that version and the number
# of whole rotation periods since 1970-01-01 UTC. The periods are counted from the epoch, not
# from when rotation was turned on, so every plan of the same day agrees whatever ran before.

locals {
  year  = tonumber(formatdate("YYYY", var.timestamp))
  month = tonumber(formatdate("M", var.timestamp))
  day   = tonumber(formatdate("D", var.timestamp))

  # Days since 1970-01-01 (Howard Hinnant's days_from_civil; HCL has no epoch function): years
  # counted from March, so a leap day is the last day of its year, in 400-year eras of 146,097
  # days. Exact for every date from year 0 on.
  march_year      = local.month <= 2 ? local.year - 1 : local.year
  era             = floor(local.march_year / 400)
  year_of_era     = local.march_year - local.era * 400
  march_month     = local.month > 2 ? local.month - 3 : local.month + 9
  day_of_year     = floor((153 * local.march_month + 2) / 5) + local.day - 1
  day_of_era      = local.year_of_era * 365 + floor(local.year_of_era / 4) - floor(local.year_of_era / 100) + local.day_of_year
  days_since_1970 = local.era * 146097 + local.day_of_era - 719468

  rotating = var.rotation_days != null && var.rotation_days != 0
  period   = local.rotating ? floor(local.days_since_1970 / var.rotation_days) : null

  # The version in the upper digits, the period in the lower six: raising the version or
  # entering a new period both raise the generation (a period stays below 1,000,000 until the
  # year 4707 even rotating daily).
  generation = local.rotating ? var.password_version * 1000000 + local.period : var.password_version
}
