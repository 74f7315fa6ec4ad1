defmodule Discovery do
  @moduledoc ~S"""
  Peer discovery for the e2e suite: a transcription, not libcluster itself.
  Written after reading libcluster 3.5.0 (lib/strategy/kubernetes.ex,
  kubernetes_dns.ex, kubernetes_dns_srv.ex and strategy.ex), it builds the node
  names the way those strategies build them, from the same sources, and dials
  them the way `Cluster.Strategy.connect_nodes/4` does
  (`:net_kernel.connect_node/1`, skipping the node itself and nodes that are
  already connected). libcluster itself cannot be installed here (no hex.pm), so
  the suite proves relnode against these rules as transcribed; the DNS answers
  (a real resolver) and the distribution handshakes (real Erlang) are real.

  The only substitution: `Cluster.Strategy.Kubernetes` reads the API server's
  Endpoints list (`items[].subsets[].addresses[]`: `ip`, `hostname`,
  `targetRef.namespace`); here the suite writes that list to a file of Erlang
  terms, one `#{ip => "10.42.0.10", hostname => "db-0", namespace => "shop"}.`
  per address (`hostname => undefined` when the address has none).
  """

  # -- Cluster.Strategy.Kubernetes ------------------------------------------

  def kubernetes(config) do
    app_name = Keyword.fetch!(config, :kubernetes_node_basename)
    cluster_name = Keyword.get(config, :kubernetes_cluster_name, "cluster")
    service_name = Keyword.get(config, :kubernetes_service_name)
    mode = Keyword.get(config, :mode, :ip)
    {:ok, addresses} = :file.consult(Keyword.fetch!(config, :endpoints_file))

    addresses
    |> Enum.map(fn address ->
      %{
        ip: to_string(address.ip),
        namespace: to_string(address.namespace),
        hostname: hostname(address[:hostname])
      }
    end)
    |> Enum.map(&kubernetes_node(mode, &1, app_name, cluster_name, service_name))
  end

  defp hostname(:undefined), do: nil
  defp hostname(nil), do: nil
  defp hostname(h), do: to_string(h)

  # the three name shapes of kubernetes.ex (the ".local" suffix is literal there)
  defp kubernetes_node(:ip, %{ip: ip}, app_name, _cluster_name, _service_name),
    do: :"#{app_name}@#{ip}"

  defp kubernetes_node(:dns, %{ip: ip, namespace: ns}, app_name, cluster_name, _service_name),
    do: :"#{app_name}@#{String.replace(ip, ".", "-")}.#{ns}.pod.#{cluster_name}.local"

  defp kubernetes_node(:hostname, %{hostname: h, namespace: ns}, app_name, cluster_name, svc),
    do: :"#{app_name}@#{h}.#{svc}.#{ns}.svc.#{cluster_name}.local"

  # -- Cluster.Strategy.Kubernetes.DNS --------------------------------------

  def dns(config) do
    app_name = Keyword.fetch!(config, :application_name)
    service = Keyword.fetch!(config, :service)

    # A records only, through Erlang's own resolver; like libcluster, an answer
    # with aliases or of another family does not match (libcluster crashes).
    case :inet_res.getbyname(to_charlist(service), :a) do
      {:ok, {:hostent, _fqdn, [], :inet, _length, addresses}} ->
        Enum.map(addresses, &:"#{app_name}@#{:inet_parse.ntoa(&1)}")

      {:error, reason} ->
        IO.puts("lookup against #{service} failed: #{inspect(reason)}")
        []
    end
  end

  # -- Cluster.Strategy.Kubernetes.DNSSRV -----------------------------------

  def dnssrv(config) do
    app_name = Keyword.fetch!(config, :application_name)
    service = Keyword.fetch!(config, :service)
    namespace = Keyword.fetch!(config, :namespace)
    query = "#{service}.#{namespace}.svc.#{System.get_env("CLUSTER_DOMAIN", "cluster.local.")}"

    case :inet_res.getbyname(to_charlist(query), :srv) do
      {:ok, {:hostent, _name, _aliases, :srv, _count, records}} ->
        # {priority, weight, port, target}: the name is app@target
        Enum.map(records, fn record -> :"#{app_name}@#{List.to_string(elem(record, 3))}" end)

      {:error, reason} ->
        IO.puts("#{inspect(query)}: lookup against #{service} failed: #{inspect(reason)}")
        []
    end
  end

  # -- polling and connecting -----------------------------------------------

  @doc """
  Polls like a libcluster topology (every `interval` ms, until every discovered
  peer is in `Node.list()` or `timeout` ms have passed), then prints
  `DISCOVERED <names>` and `CONNECTED <Node.list()>`, both sorted.
  """
  def run(strategy, config, timeout \\ 15_000, interval \\ 1_000) do
    deadline = System.monotonic_time(:millisecond) + timeout
    discovered = poll(strategy, config, deadline, interval)
    IO.puts("DISCOVERED " <> names(discovered))
    IO.puts("CONNECTED " <> names(Node.list()))
  end

  defp poll(strategy, config, deadline, interval) do
    nodes = apply(__MODULE__, strategy, [config])
    connect(nodes)
    peers = Enum.reject(nodes, &(&1 == Node.self()))

    cond do
      peers != [] and Enum.all?(peers, &(&1 in Node.list())) ->
        nodes

      System.monotonic_time(:millisecond) + interval > deadline ->
        nodes

      true ->
        Process.sleep(interval)
        poll(strategy, config, deadline, interval)
    end
  end

  defp connect(nodes) do
    connected = Node.list()

    for node <- nodes, node != Node.self(), node not in connected do
      result = :net_kernel.connect_node(node)
      IO.puts("connect #{node}: #{inspect(result)}")
    end
  end

  defp names(nodes), do: nodes |> Enum.map(&Atom.to_string/1) |> Enum.sort() |> Enum.join(" ")
end
