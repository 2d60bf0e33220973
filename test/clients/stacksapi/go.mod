module agentify/test/clients/stacksapi

go 1.24.5

require github.com/buildkite/stacksapi v1.0.2

require (
	github.com/buildkite/roko v1.4.0 // indirect
	github.com/google/uuid v1.6.0 // indirect
)
