# The test double of terraform/modules/password (same inputs, same output), which the stack's
# plan test puts in its place: Terraform 1.11's mocked providers cannot open the ephemeral
# resource the real module draws its password from. The value is ephemeral like the real one,
# so everything that consumes it is planned exactly as it would be.

variable "length" {
  type = number
}

variable "exclude_punctuation" {
  type    = bool
  default = true
}

variable "test_value" {
  type      = string
  default   = "aTestPasswordOfFortyCharacters0123456789"
  sensitive = true
  ephemeral = true
}

output "value" {
  value     = substr(var.test_value, 0, var.length)
  sensitive = true
  ephemeral = true
}
