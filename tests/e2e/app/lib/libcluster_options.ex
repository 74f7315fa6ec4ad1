defmodule LibclusterOptions do
  @moduledoc ~S"""
  Checks a libcluster config file (what `relnode advise` writes as libcluster.exs) against
  the option names libcluster 3.5.0 reads, so that a misspelt key fails instead of being
  ignored at run time.

  A TRANSCRIPTION, not libcluster itself (hex.pm is out of reach here): the names below were
  copied by reading libcluster 3.5.0's lib/cluster/supervisor.ex (topology keys) and
  lib/strategy/kubernetes.ex, kubernetes_dns.ex, kubernetes_dns_srv.ex (the `Keyword.get`
  and `Keyword.fetch!` calls on `config`). The file itself is evaluated for real, by
  Elixir's own `Config.Reader`, so its syntax is checked by the compiler.
  """

  # Cluster.Supervisor / build_initial_state: the keys of one topology.
  @topology_keys [:strategy, :config, :connect, :disconnect, :list_nodes, :child_spec]

  # strategy => {required (Keyword.fetch!), optional (Keyword.get)}
  @strategies %{
    Cluster.Strategy.Kubernetes =>
      {[:kubernetes_node_basename, :kubernetes_selector],
       [
         :mode,
         :kubernetes_namespace,
         :kubernetes_service_name,
         :kubernetes_cluster_name,
         :kubernetes_ip_lookup_mode,
         :kubernetes_master,
         :kubernetes_service_account_path,
         :polling_interval
       ]},
    Cluster.Strategy.Kubernetes.DNS => {[:service, :application_name], [:polling_interval, :resolver]},
    Cluster.Strategy.Kubernetes.DNSSRV =>
      {[:service, :namespace, :application_name], [:polling_interval, :resolver]}
  }

  # The values format_node/5 and parse_response/2 match on.
  @atoms %{mode: [:ip, :dns, :hostname], kubernetes_ip_lookup_mode: [:endpoints, :pods]}

  @doc "Prints `OK <path>` or raises with every problem found."
  def check!(path) do
    case problems(path) do
      [] -> IO.puts("OK #{path}")
      found -> raise "#{path}: " <> Enum.join(found, "; ")
    end
  end

  def problems(path) do
    config = Config.Reader.read!(path, env: :prod)
    topologies = get_in(config, [:libcluster, :topologies])

    cond do
      not Keyword.keyword?(topologies || :none) -> ["no `config :libcluster, topologies: [...]`"]
      topologies == [] -> ["no topology"]
      true -> Enum.flat_map(topologies, &topology/1)
    end
  end

  defp topology({name, spec}) do
    unknown = for {k, _} <- spec, k not in @topology_keys, do: "#{name}: unknown topology key #{inspect(k)}"
    strategy = Keyword.get(spec, :strategy)
    config = Keyword.get(spec, :config, [])

    unknown ++
      case Map.fetch(@strategies, strategy) do
        :error -> ["#{name}: unknown strategy #{inspect(strategy)}"]
        {:ok, {required, optional}} -> options(name, strategy, config, required, optional)
      end
  end

  defp options(name, strategy, config, required, optional) do
    missing = for k <- required, not Keyword.has_key?(config, k), do: "#{name}: #{inspect(strategy)} needs #{inspect(k)}"
    unknown = for {k, _} <- config, k not in required ++ optional, do: "#{name}: #{inspect(strategy)} has no option #{inspect(k)}"

    bad =
      for {k, v} <- config, reason = bad_value(k, v), reason != nil do
        "#{name}: #{inspect(k)} #{reason}"
      end

    hostname =
      if strategy == Cluster.Strategy.Kubernetes and config[:mode] == :hostname and
           not Keyword.has_key?(config, :kubernetes_service_name) do
        ["#{name}: mode :hostname without kubernetes_service_name dials app@host..ns.svc… (relnode's rule)"]
      else
        []
      end

    missing ++ unknown ++ bad ++ hostname
  end

  defp bad_value(k, v) when is_map_key(@atoms, k) do
    if v in @atoms[k], do: nil, else: "is #{inspect(v)}, not one of #{inspect(@atoms[k])}"
  end

  defp bad_value(:polling_interval, v) when is_integer(v) and v > 0, do: nil
  defp bad_value(:polling_interval, v), do: "is #{inspect(v)}, not a positive integer (ms)"
  defp bad_value(:resolver, v) when is_function(v, 1), do: nil
  defp bad_value(:resolver, v), do: "is #{inspect(v)}, not a 1-arity function"
  defp bad_value(_k, v) when is_binary(v), do: nil
  defp bad_value(_k, v), do: "is #{inspect(v)}, not a string"
end

defmodule LibclusterOptions.Applied do
  @moduledoc """
  Runs the suite's libcluster-shaped `Discovery` (see discovery.ex: libcluster 3.5.0's naming,
  transcribed) with the first topology of a config file that `relnode advise` wrote, so the
  e2e suite can check that advise's setup, applied, forms a cluster.
  """

  @strategies %{
    Cluster.Strategy.Kubernetes => :kubernetes,
    Cluster.Strategy.Kubernetes.DNS => :dns,
    Cluster.Strategy.Kubernetes.DNSSRV => :dnssrv
  }

  # `extra`: the suite's stand-in for the API server (`endpoints_file`), nothing else.
  def discover(path, extra \\ [], timeout \\ 20_000) do
    [{_name, spec} | _] = Config.Reader.read!(path, env: :prod)[:libcluster][:topologies]
    strategy = Map.fetch!(@strategies, Keyword.fetch!(spec, :strategy))
    Discovery.run(strategy, Keyword.merge(Keyword.get(spec, :config, []), extra), timeout)
  end
end
