defmodule DnsPollDiscovery do
  @moduledoc ~S"""
  A TRANSCRIPTION, for the e2e suite, of what libcluster 3.5.0's
  `Cluster.Strategy.DNSPoll` (`lib/strategy/dns_poll.ex`) does on each poll;
  libcluster itself cannot be installed here (no hex). Written after reading its
  source:

    * `lookup_all_ips/1`: `:inet_res.lookup(query, :in, :a)` ++
      `:inet_res.lookup(query, :in, :aaaa)`: the name AS GIVEN, no search list
      (`inet_res:lookup/3`, unlike `getbyname/2`, never applies resolv.conf's
      `search`), an error counting as no addresses;
    * each address becomes `:"<node_basename>@<:inet_parse.ntoa(ip)>"`;
    * our own `node()` is rejected, the rest are dialled as
      `Cluster.Strategy.connect_nodes/4` does (`:net_kernel.connect_node/1`).

  `query` and `node_basename` are libcluster config keys; here they are the
  arguments of `run/4`.
  """

  @doc """
  Polls every `interval` ms until every discovered name is in `Node.list()` or
  `timeout` ms have passed, then prints `QUERY <query>`, `DISCOVERED <names>` and
  `CONNECTED <Node.list()>` (names sorted).
  """
  def run(query, basename, timeout \\ 15_000, interval \\ 1_000) do
    deadline = System.monotonic_time(:millisecond) + timeout
    discovered = poll(query, basename, deadline, interval)
    IO.puts("QUERY " <> query)
    IO.puts("DISCOVERED " <> names(discovered))
    IO.puts("CONNECTED " <> names(Node.list()))
  end

  @doc "The names DNSPoll would dial for `query` and `basename` (our own node left out)."
  def names_for(query, basename) do
    q = to_charlist(query)

    [:a, :aaaa]
    |> Enum.flat_map(fn type -> :inet_res.lookup(q, :in, type) end)
    |> Enum.map(fn ip -> :"#{basename}@#{:inet_parse.ntoa(ip)}" end)
    |> Enum.reject(&(&1 == node()))
  end

  defp poll(query, basename, deadline, interval) do
    nodes = names_for(query, basename)
    visible = Node.list(:visible)

    for node <- nodes, node not in visible do
      IO.puts("connect #{node}: #{inspect(:net_kernel.connect_node(node))}")
    end

    cond do
      nodes != [] and Enum.all?(nodes, &(&1 in Node.list())) -> nodes
      System.monotonic_time(:millisecond) + interval > deadline -> nodes
      true ->
        Process.sleep(interval)
        poll(query, basename, deadline, interval)
    end
  end

  defp names(nodes), do: nodes |> Enum.map(&Atom.to_string/1) |> Enum.sort() |> Enum.join(" ")
end
