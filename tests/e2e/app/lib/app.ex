defmodule App do
  @moduledoc "The release relnode starts in the e2e suite; see Discovery for peer discovery."

  @doc "What the suite's `kubectl exec`-like `bin/app rpc 'App.info()'` prints about the running node."
  def info do
    proto =
      case :init.get_argument(:proto_dist) do
        {:ok, [[p] | _]} -> List.to_string(p)
        _ -> "inet_tcp"
      end

    IO.puts("NODE #{node()}")
    IO.puts("OSPID #{System.pid()}")
    IO.puts("PROTO #{proto}")
    IO.puts("SCHEDULERS #{:erlang.system_info(:schedulers)}")
    IO.puts("COOKIE #{Node.get_cookie()}")
  end
end
