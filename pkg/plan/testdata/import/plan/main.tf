import {
  to = terraform_data.adopted
  id = "existing-object"
}

resource "terraform_data" "adopted" {}

import {
  to = terraform_data.adopted_and_changed
  id = "another-object"
}

resource "terraform_data" "adopted_and_changed" {
  input = "configured"
}
