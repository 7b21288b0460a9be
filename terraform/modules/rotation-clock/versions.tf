terraform {
  # No provider: plain arithmetic on a timestamp, so it plans and tests anywhere.
  required_version = ">= 1.9.0"
}
