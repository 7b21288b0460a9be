output "days_since_1970" {
  description = "Whole days from 1970-01-01 UTC to the timestamp (the Unix epoch day)."
  value       = local.days_since_1970
}

output "period" {
  description = "Whole rotation periods since 1970-01-01 UTC at the timestamp; null where rotation is off."
  value       = local.period
}

output "generation" {
  description = "The password's generation (RDS's password_wo_version, the secret's secret_string_wo_version): password_version where rotation is off, else password_version * 1000000 + period."
  value       = local.generation
}
