// Package config owns lockstep's validated configuration: the list of action
// inputs and outputs of the design contract, Load (which turns raw input or
// flag values into a Config, or into errors that name each bad input), and the
// run's GitHub context read from the runner's GITHUB_* variables.
package config
