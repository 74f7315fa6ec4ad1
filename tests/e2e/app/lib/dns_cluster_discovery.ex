defmodule DnsClusterDiscovery do
  @moduledoc ~S"""
  A TRANSCRIPTION, for the e2e suite, of what phoenixframework/dns_cluster 0.2
  (`lib/dns_cluster.ex`, `DNSCluster.Resolver`) does on each poll; dns_cluster
  itself cannot be installed here (no hex). Written after reading its source:

    * the basename is the part of the node's own `node()` before the `@`;
    * for each record type in `[:a, :aaaa]` it asks `:inet_res.getbyname(query, type)`
      and takes the hostent's address list (an error counts as no addresses);
    * the `{basename, address}` pairs are de-duplicated and each becomes
      `"<basename>@<:inet.ntoa(address)>"`;
    * names already in `Node.list(:visible)` are skipped, the others are dialled
      with `Node.connect/1`.

  The query comes from the `DNS_CLUSTER_QUERY` environment variable of the running
  node when none is given, as in the Phoenix generator's `config/runtime.exs`
  (`config :app, :dns_cluster_query, System.get_env("DNS_CLUSTER_QUERY")`).
  """

  @doc """
  Polls every `interval` ms until every discovered name other than our own is in
  `Node.list()` or `timeout` ms have passed, then prints `QUERY <query>`,
  `DISCOVERED <names>` and `CONNECTED <Node.list()>` (names sorted).
  """
  def run(query \\ nil, timeout \\ 15_000, interval \\ 1_000) do
    query = query || System.get_env("DNS_CLUSTER_QUERY") || ""
    deadline = System.monotonic_time(:millisecond) + timeout
    discovered = poll(query, deadline, interval)
    IO.puts("QUERY " <> query)
    IO.puts("DISCOVERED " <> names(discovered))
    IO.puts("CONNECTED " <> names(Node.list()))
  end

  @doc "The names dns_cluster 0.2 would dial for `query`, built from `node()`'s basename."
  def names_for(query) do
    [basename, _host] = String.split(Atom.to_string(node()), "@")

    [:a, :aaaa]
    |> Enum.flat_map(fn type -> for addr <- lookup(query, type), do: {basename, addr} end)
    |> Enum.uniq()
    |> Enum.map(fn {basename, addr} -> :"#{basename}@#{:inet.ntoa(addr)}" end)
  end

  defp lookup(query, type) do
    case :inet_res.getbyname(to_charlist(query), type) do
      {:ok, {:hostent, _name, _aliases, _family, _length, addresses}} -> addresses
      {:error, _reason} -> []
    end
  end

  defp poll(query, deadline, interval) do
    nodes = names_for(query)
    visible = Node.list(:visible)

    for node <- nodes, node not in visible do
      IO.puts("connect #{node}: #{inspect(Node.connect(node))}")
    end

    peers = Enum.reject(nodes, &(&1 == Node.self()))

    cond do
      peers != [] and Enum.all?(peers, &(&1 in Node.list())) -> nodes
      System.monotonic_time(:millisecond) + interval > deadline -> nodes
      true ->
        Process.sleep(interval)
        poll(query, deadline, interval)
    end
  end

  defp names(nodes), do: nodes |> Enum.map(&Atom.to_string/1) |> Enum.sort() |> Enum.join(" ")
end
