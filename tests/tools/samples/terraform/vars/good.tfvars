environment = "prod"

service = {
  desired_size       = 2
  availability_zones = ["eu-west-1a", "eu-west-1b"]
}
