defmodule App.MixProject do
  use Mix.Project

  # The release under test: no dependencies, so it builds offline with Debian's
  # elixir and erlang-base packages.
  def project do
    [
      app: :app,
      version: "0.1.0",
      elixir: "~> 1.14",
      start_permanent: Mix.env() == :prod,
      deps: [],
      releases: [app: [include_executables_for: [:unix]]]
    ]
  end

  def application do
    [extra_applications: [:logger]]
  end
end
