environment = "qa"

service = {
  desired_size = "two"
}
