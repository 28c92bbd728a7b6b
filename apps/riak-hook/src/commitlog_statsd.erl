%%% commitlog_statsd: optional statsd metrics for each hand-off, fire and forget.
%%%
%%% Inputs:  {Address, Port} (or undefined: off), the address an IP tuple (commitlog_hook_config
%%%          refuses a host name), the hand-off's outcome and duration (microseconds).
%%% Output:  handoff/3 -> ok, always. Two UDP datagrams, sent from a short-lived process so that
%%%          a full socket buffer never holds the Riak process:
%%%            commitlog.hook.handoff:<milliseconds, 3 decimals>|ms
%%%            commitlog.hook.<outcome>:1|c
%%%          unkept/1 -> ok: commitlog.hook.unkept:1|c, for a commit neither handed off nor
%%%          written to the failure log. It does not need the disk: a full disk that stops the
%%%          failure log often stops the log file that would have said so too.
%%%          Never a DNS lookup: a destination that is not an IP tuple sends nothing.
%%% Errors:  none: every failure (socket, send) is dropped silently, as statsd is.
-module(commitlog_statsd).

-export([handoff/3, unkept/1, packets/2]).

-spec handoff({inet:ip_address(), inet:port_number()} | undefined, atom(), non_neg_integer()) ->
    ok.
handoff({Address, Port}, Outcome, Micros) when is_tuple(Address) ->
    Packets = packets(Outcome, Micros),
    _ = spawn(fun() -> send(Address, Port, Packets) end),
    ok;
%% Off, or a host name: gen_udp:send/4 would look a name up for every commit.
handoff(_NotAnAddress, _Outcome, _Micros) ->
    ok.

-spec unkept({inet:ip_address(), inet:port_number()} | undefined) -> ok.
unkept({Address, Port}) when is_tuple(Address) ->
    _ = spawn(fun() -> send(Address, Port, [<<"commitlog.hook.unkept:1|c">>]) end),
    ok;
unkept(_NotAnAddress) ->
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

send(Address, Port, Packets) ->
    try
        {ok, Socket} = gen_udp:open(0, [binary | family(Address)]),
        try
            [gen_udp:send(Socket, Address, Port, P) || P <- Packets]
        after
            gen_udp:close(Socket)
        end
    catch
        _:_ -> ok
    end.

family(Address) when tuple_size(Address) =:= 8 -> [inet6];
family(_Address) -> [].
