moved {
  from = terraform_data.old_name
  to   = terraform_data.new_name
}

resource "terraform_data" "new_name" {
  input = "v1"
}

moved {
  from = terraform_data.old_changed
  to   = terraform_data.new_changed
}

resource "terraform_data" "new_changed" {
  input = "v2"
}
