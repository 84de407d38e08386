# for_each keys are arbitrary strings, and they end up in addresses: these are
# hostile on purpose, to test escaping downstream.
locals {
  keys = [
    "a|b",
    "<img src=x onerror=alert(1)>",
    "@octocat please look",
    "fixes #123",
    "`tick` ``double``",
    "**bold** _it_ [link](https://evil.test)",
    "line\nbreak",
    "rtl\u202Eevil",
    "<!-- lockstep:plan dir=x env=y -->",
    "ends\\",
    "esc\u001b[31mred",
  ]
}

resource "terraform_data" "k" {
  for_each = toset(local.keys)
  input    = each.key
}
