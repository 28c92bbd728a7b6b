%%% commitlog_http_pool: the idle kept-alive connections of commitlog_http, per destination,
%%% held by one registered process (`commitlog_http_pool`) that is started lazily by the first
%%% checkin/3 and supervised by nobody: it is unlinked from every caller (Riak's put-FSM
%%% processes come and go), and if it ever dies its idle sockets close with it and the next
%%% checkin starts a new one (commitlog_lazy_process: race-safe).
%%%
%%% The pool is the controlling process of its idle sockets and keeps them in {active, once}, so
%%% that a close by the server ({tcp_closed, S}), an error, or any unexpected byte drops the
%%% socket at once. At most 8 idle sockets per {Host, Port} (a checkin beyond that closes the
%%% oldest); an idle socket is closed after 30 s (the ingest's own keep-alive timeout is 60 s).
%%% Most recently used first, so the sockets that were used last are handed out first and the
%%% others are the ones that time out.
%%%
%%% Inputs:  checkout(Host, Port, TimeoutMs): the destination as commitlog_http:parse_url/1
%%%          returns it, and how long to wait for the pool. checkin(Host, Port, Socket): a
%%%          connected gen_tcp socket owned by the caller, in {active, false}, with a complete
%%%          response read and nothing left to read on it.
%%% Outputs: checkout/3 -> {ok, Socket}: a socket in {active, false}, with no message of it in
%%%            anyone's mailbox, whose controlling process is now the caller;
%%%          | none: no idle socket for that destination, the pool is not running, or it did not
%%%            answer within TimeoutMs (plus at most 2 ms): the caller connects by itself.
%%%          checkin/3 -> ok: the socket now belongs to the pool (started if need be), or was
%%%            closed when the pool could not take it.
%%%          idle/0 -> #{{Host, Port} => Count} (for tests and a remote console; #{} when the
%%%            pool is not running or busy).
%%% Errors:  none raised; the caller's mailbox never receives anything from the pool after
%%%          checkout/3 has returned (the reply goes to a process alias, deactivated on timeout).
%%%          If the pool hands a socket over just as the caller gives up waiting (the pool was
%%%          descheduled for more than 2 ms after checking that the caller still waits), the
%%%          reply is dropped and that socket stays with the caller, passive and unused, until
%%%          the caller exits.
%%%
%%% Needs OTP 24+ (monitor/3 with {alias, reply_demonitor}).
-module(commitlog_http_pool).

-export([checkout/3, checkin/3, idle/0]).
%% Internal: the pool's loop, called fully qualified so that a new version of this module takes
%% over at the next message.
-export([loop/1]).

-define(NAME, ?MODULE).
-define(MAX_IDLE, 8).
-define(IDLE_MS, 30000).
%% How much longer than the pool's own deadline a caller waits for its reply.
-define(REPLY_GRACE_MS, 2).

-type key() :: {inet:hostname() | inet:ip_address(), inet:port_number()}.

-spec checkout(inet:hostname() | inet:ip_address(), inet:port_number(), non_neg_integer()) ->
    {ok, gen_tcp:socket()} | none.
checkout(Host, Port, TimeoutMs) ->
    case whereis(?NAME) of
        undefined ->
            none;
        Pool ->
            Expires = now_ms() + TimeoutMs,
            Alias = erlang:monitor(process, Pool, [{alias, reply_demonitor}]),
            Pool ! {checkout, Alias, self(), {Host, Port}, Expires},
            receive
                {Alias, Reply} ->
                    erlang:demonitor(Alias, [flush]),
                    Reply;
                {'DOWN', Alias, process, _, _} ->
                    none
            after TimeoutMs + ?REPLY_GRACE_MS ->
                %% Deactivates the alias: a reply sent from now on is dropped, not delivered.
                erlang:demonitor(Alias, [flush]),
                receive
                    {Alias, Reply} -> Reply
                after 0 -> none
                end
            end
    end.

-spec checkin(inet:hostname() | inet:ip_address(), inet:port_number(), gen_tcp:socket()) -> ok.
checkin(Host, Port, Socket) ->
    case pool() of
        undefined ->
            close(Socket);
        Pool ->
            case gen_tcp:controlling_process(Socket, Pool) of
                ok ->
                    Pool ! {checkin, {Host, Port}, Socket},
                    ok;
                {error, _} ->
                    %% The pool is gone (its sockets went with it), or the socket is.
                    close(Socket)
            end
    end.

-spec idle() -> #{key() => pos_integer()}.
idle() ->
    case whereis(?NAME) of
        undefined ->
            #{};
        Pool ->
            Alias = erlang:monitor(process, Pool, [{alias, reply_demonitor}]),
            Pool ! {idle, Alias},
            receive
                {Alias, Counts} ->
                    erlang:demonitor(Alias, [flush]),
                    Counts;
                {'DOWN', Alias, process, _, _} ->
                    #{}
            after 1000 ->
                erlang:demonitor(Alias, [flush]),
                receive
                    {Alias, Counts} -> Counts
                after 0 -> #{}
                end
            end
    end.

%%% Internal: starting

pool() ->
    commitlog_lazy_process:ensure(?NAME, fun() -> ?MODULE:loop(new()) end).

new() ->
    %% idle: Key => [{Socket, TimerRef}], most recently checked in first. keys: Socket => Key.
    #{idle => #{}, keys => #{}}.

%%% Internal: the loop

-spec loop(map()) -> no_return().
loop(State) ->
    receive
        {checkout, Alias, Caller, Key, Expires} ->
            ?MODULE:loop(serve_checkout(Alias, Caller, Key, Expires, State));
        {checkin, Key, Socket} ->
            ?MODULE:loop(keep(Key, Socket, State));
        {timeout, TimerRef, {idle, Socket}} ->
            ?MODULE:loop(expire(Socket, TimerRef, State));
        {tcp_closed, Socket} ->
            ?MODULE:loop(drop(Socket, State));
        {tcp_error, Socket, _Reason} ->
            ?MODULE:loop(drop(Socket, State));
        {tcp, Socket, _Unexpected} ->
            %% A server does not talk on an idle HTTP connection: the socket is not reusable.
            ?MODULE:loop(drop(Socket, State));
        {idle, Alias} ->
            #{idle := Idle} = State,
            Alias ! {Alias, maps:map(fun(_Key, Sockets) -> length(Sockets) end, Idle)},
            ?MODULE:loop(State);
        _Other ->
            ?MODULE:loop(State)
    end.

serve_checkout(Alias, Caller, Key, Expires, State) ->
    case now_ms() < Expires of
        true ->
            {Reply, State1} = hand_out(Key, Caller, State),
            Alias ! {Alias, Reply},
            State1;
        false ->
            %% The caller has stopped waiting (its alias drops the reply): keep the sockets.
            Alias ! {Alias, none},
            State
    end.

hand_out(Key, Caller, State) ->
    case take(Key, State) of
        none ->
            {none, State};
        {Socket, State1} ->
            case passive(Socket) andalso gen_tcp:controlling_process(Socket, Caller) of
                ok ->
                    {{ok, Socket}, State1};
                {error, _} ->
                    %% A caller that died since it asked (Riak killed its put process) fails the
                    %% move of every socket: keep this good one, rather than close them all.
                    case is_process_alive(Caller) of
                        false -> {none, keep(Key, Socket, State1)};
                        true -> retry_hand_out(Key, Caller, Socket, State1)
                    end;
                false ->
                    retry_hand_out(Key, Caller, Socket, State1)
            end
    end.

retry_hand_out(Key, Caller, Socket, State) ->
    close(Socket),
    hand_out(Key, Caller, State).

%% Takes the most recent idle socket of Key out of the state.
take(Key, #{idle := Idle, keys := Keys} = State) ->
    case maps:get(Key, Idle, []) of
        [] ->
            none;
        [{Socket, TimerRef} | Rest] ->
            _ = erlang:cancel_timer(TimerRef),
            {Socket, State#{idle := put_list(Key, Rest, Idle), keys := maps:remove(Socket, Keys)}}
    end.

%% Back to {active, false}, then no message of the socket may be left here: one means it was
%% closed or talked while idle, and it is not handed out.
passive(Socket) ->
    inet:setopts(Socket, [{active, false}]) =:= ok andalso no_messages(Socket, true).

no_messages(Socket, Clean) ->
    receive
        {tcp, Socket, _} -> no_messages(Socket, false);
        {tcp_closed, Socket} -> no_messages(Socket, false);
        {tcp_error, Socket, _} -> no_messages(Socket, false)
    after 0 -> Clean
    end.

keep(Key, Socket, #{idle := Idle, keys := Keys} = State) ->
    case inet:setopts(Socket, [{active, once}]) of
        ok ->
            TimerRef = erlang:start_timer(?IDLE_MS, self(), {idle, Socket}),
            {Kept, Evicted} = lists:split(
                min(?MAX_IDLE, 1 + length(maps:get(Key, Idle, []))),
                [{Socket, TimerRef} | maps:get(Key, Idle, [])]
            ),
            Keys1 = lists:foldl(
                fun({Old, OldTimer}, Acc) ->
                    _ = erlang:cancel_timer(OldTimer),
                    close(Old),
                    maps:remove(Old, Acc)
                end,
                Keys#{Socket => Key},
                Evicted
            ),
            State#{idle := Idle#{Key => Kept}, keys := Keys1};
        {error, _} ->
            close(Socket),
            State
    end.

expire(Socket, TimerRef, #{idle := Idle} = State) ->
    case key_of(Socket, State) of
        {ok, Key} ->
            case lists:keyfind(Socket, 1, maps:get(Key, Idle)) of
                {Socket, TimerRef} -> drop(Socket, State);
                _Rearmed -> State
            end;
        error ->
            State
    end.

%% Closes a socket and forgets it, if it is idle here.
drop(Socket, #{idle := Idle, keys := Keys} = State) ->
    case key_of(Socket, State) of
        {ok, Key} ->
            {Socket, TimerRef} = lists:keyfind(Socket, 1, maps:get(Key, Idle)),
            _ = erlang:cancel_timer(TimerRef),
            close(Socket),
            Rest = lists:keydelete(Socket, 1, maps:get(Key, Idle)),
            State#{idle := put_list(Key, Rest, Idle), keys := maps:remove(Socket, Keys)};
        error ->
            State
    end.

key_of(Socket, #{keys := Keys}) ->
    maps:find(Socket, Keys).

put_list(Key, [], Idle) -> maps:remove(Key, Idle);
put_list(Key, List, Idle) -> Idle#{Key => List}.

%% The sockets of commitlog_http close at once already ({linger, {true, 0}}); set here too, so
%% that no socket checked in can make the pool wait on a close with unsent data in it.
close(Socket) ->
    _ = inet:setopts(Socket, [{linger, {true, 0}}]),
    _ = gen_tcp:close(Socket),
    ok.

now_ms() ->
    erlang:monotonic_time(millisecond).
