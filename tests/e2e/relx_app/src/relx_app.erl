%% The application (and its empty top supervisor) the e2e suite starts, plus what
%% the suite asks it through `bin/relx_app eval`, run inside a pod like kubectl exec.
-module(relx_app).
-behaviour(application).
-behaviour(supervisor).
-export([start/2, stop/1, init/1]).
-export([info/0, connect/2]).

start(_Type, _Args) -> supervisor:start_link({local, relx_app}, ?MODULE, []).
stop(_State) -> ok.
init([]) -> {ok, {#{strategy => one_for_one}, []}}.

%% "NODE=<node> PROTO=<proto_dist> COOKIE=<cookie>" on one line (what App.info()
%% prints in the mix release): `bin/relx_app eval` strips only a one-line {ok, ...}.
info() ->
    Proto = case init:get_argument(proto_dist) of
                {ok, [[P] | _]} -> P;
                _ -> "inet_tcp"
            end,
    lists:flatten(io_lib:format("NODE=~s PROTO=~s COOKIE=~s",
                                [node(), Proto, erlang:get_cookie()])).

%% Dial every name in Names (strings) other than our own, once a second, until all
%% are connected or TimeoutMs passed; return "CONNECTED <sorted nodes()>".
connect(Names, TimeoutMs) ->
    Nodes = [list_to_atom(N) || N <- Names] -- [node()],
    Deadline = erlang:monotonic_time(millisecond) + TimeoutMs,
    poll(Nodes, Deadline),
    Connected = lists:sort([atom_to_list(N) || N <- nodes()]),
    lists:flatten(["CONNECTED" | [[$\s, N] || N <- Connected]]).

poll(Nodes, Deadline) ->
    [net_kernel:connect_node(N) || N <- Nodes, not lists:member(N, nodes())],
    case Nodes -- nodes() of
        [] -> ok;
        _ ->
            case erlang:monotonic_time(millisecond) + 1000 > Deadline of
                true -> ok;
                false -> timer:sleep(1000), poll(Nodes, Deadline)
            end
    end.
