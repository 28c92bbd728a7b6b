%%% commitlog_statsd: optional statsd metrics for each hand-off, fire and forget.
%%%
%%% Inputs:  {Host, Port} (or undefined: off), the hand-off's outcome and duration (microseconds).
%%% Output:  handoff/3 -> ok, always. Two UDP datagrams, sent from a short-lived process so that
%%%          a slow DNS lookup or a full socket buffer never holds the Riak process:
%%%            commitlog.hook.handoff:<milliseconds, 3 decimals>|ms
%%%            commitlog.hook.<outcome>:1|c
%%% Errors:  none: every failure (resolution, socket, send) is dropped silently, as statsd is.
-module(commitlog_statsd).

-export([handoff/3, packets/2]).

-spec handoff({string(), inet:port_number()} | undefined, atom(), non_neg_integer()) -> ok.
handoff(undefined, _Outcome, _Micros) ->
    ok;
handoff({Host, Port}, Outcome, Micros) ->
    Packets = packets(Outcome, Micros),
    _ = spawn(fun() -> send(Host, Port, Packets) end),
    ok.

-spec packets(atom(), non_neg_integer()) -> [binary()].
packets(Outcome, Micros) ->
    Ms = iolist_to_binary([
        integer_to_binary(Micros div 1000),
        $.,
        io_lib:format("~3..0B", [Micros rem 1000])
    ]),
    [
        <<"commitlog.hook.handoff:", Ms/binary, "|ms">>,
        <<"commitlog.hook.", (atom_to_binary(Outcome, utf8))/binary, ":1|c">>
    ].

send(Host, Port, Packets) ->
    try
        {ok, Socket} = gen_udp:open(0, [binary]),
        try
            [gen_udp:send(Socket, Host, Port, P) || P <- Packets]
        after
            gen_udp:close(Socket)
        end
    catch
        _:_ -> ok
    end.
