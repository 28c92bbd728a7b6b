%%% commitlog_http_pool: the idle kept-alive connections of commitlog_http, per destination,
%%% held by one registered process (`commitlog_http_pool`) that is started lazily by the first
%%% checkin/2 and supervised by nobody: it is unlinked from every caller (Riak's put-FSM
%%% processes come and go), and if it ever dies its idle sockets close with it and the next
%%% checkin starts a new one (commitlog_lazy_process: race-safe).
%%%
%%% The pool is the controlling process of its idle sockets and keeps them in {active, once}, so
%%% that a close by the server, an error, or any unexpected byte drops the socket at once, for a
%%% TCP socket and a TLS one alike (commitlog_http_transport). At most 8 idle sockets per
%%% destination (a checkin beyond that closes the oldest); an idle socket is closed after 30 s
%%% (the ingest's own keep-alive timeout is 60 s). Most recently used first, so the sockets that
%%% were used last are handed out first and the others are the ones that time out.
%%%
%%% Inputs:  checkout(Key, TimeoutMs): the destination, as commitlog_http names it ({Host, Port}
%%%          for plain HTTP, {Host, Port, CaSource} for TLS), and how long to wait for the pool.
%%%          checkin(Key, Socket): a connected commitlog_http_transport socket owned by the
%%%          caller, in {active, false}, with a complete response read and nothing left to read
%%%          on it. checkout/3 and checkin/3 take Host and Port for a plain HTTP destination.
%%% Outputs: checkout/2 -> {ok, Socket}: a socket in {active, false}, with no message of it in
%%%            anyone's mailbox, whose controlling process is now the caller;
%%%          | none: no idle socket for that destination, the pool is not running, or it did not
%%%            answer within TimeoutMs (plus at most 2 ms): the caller connects by itself.
%%%          checkin/2 -> ok: the socket now belongs to the pool (started if need be), or was
%%%            closed when the pool could not take it.
%%%          idle/0 -> #{Key => Count} (for tests and a remote console; #{} when the pool is not
%%%            running or busy).
%%% Errors:  none raised; the caller's mailbox never receives anything from the pool after
%%%          checkout/2 has returned (the reply goes to a process alias, deactivated on timeout).
%%%          If the pool hands a socket over just as the caller gives up waiting (the pool was
%%%          descheduled for more than 2 ms after checking that the caller still waits), the
%%%          reply is dropped and that socket stays with the caller, passive and unused, until
%%%          the caller exits.
%%%
%%% Needs OTP 24+ (monitor/3 with {alias, reply_demonitor}).
-module(commitlog_http_pool).

-export([checkout/2, checkin/2, checkout/3, checkin/3, idle/0]).
%% Internal: the pool's loop, called fully qualified so that a new version of this module takes
%% over at the next message.
-export([loop/1]).

-define(NAME, ?MODULE).
-define(MAX_IDLE, 8).
-define(IDLE_MS, 30000).
%% How much longer than the pool's own deadline a caller waits for its reply.
-define(REPLY_GRACE_MS, 2).

-type key() :: term().
-type socket() :: commitlog_http_transport:socket().

-spec checkout(inet:hostname() | inet:ip_address(), inet:port_number(), non_neg_integer()) ->
    {ok, socket()} | none.
checkout(Host, Port, TimeoutMs) ->
    checkout({Host, Port}, TimeoutMs).

-spec checkin(inet:hostname() | inet:ip_address(), inet:port_number(), socket()) -> ok.
checkin(Host, Port, Socket) ->
    checkin({Host, Port}, Socket).

-spec checkout(key(), non_neg_integer()) -> {ok, socket()} | none.
checkout(Key, TimeoutMs) ->
    case whereis(?NAME) of
        undefined ->
            none;
        Pool ->
            Expires = now_ms() + TimeoutMs,
            Alias = erlang:monitor(process, Pool, [{alias, reply_demonitor}]),
            Pool ! {checkout, Alias, self(), Key, Expires},
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

-spec checkin(key(), socket()) -> ok.
checkin(Key, Socket) ->
    case pool() of
        undefined ->
            close(Socket);
        Pool ->
            case commitlog_http_transport:controlling_process(Socket, Pool) of
                ok ->
                    Pool ! {checkin, Key, Socket},
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
    %% idle: Key => [{Socket, TimerRef}], most recently checked in first. keys: Id => Key, Id
    %% being what the socket's messages carry (commitlog_http_transport:id/1).
    #{idle => #{}, keys => #{}}.

%%% Internal: the loop

-spec loop(map()) -> no_return().
loop(State) ->
    receive
        {checkout, Alias, Caller, Key, Expires} ->
            ?MODULE:loop(serve_checkout(Alias, Caller, Key, Expires, State));
        {checkin, Key, Socket} ->
            ?MODULE:loop(keep(Key, Socket, State));
        {timeout, TimerRef, {idle, Id}} ->
            ?MODULE:loop(expire(Id, TimerRef, State));
        {idle, Alias} ->
            #{idle := Idle} = State,
            Alias ! {Alias, maps:map(fun(_Key, Sockets) -> length(Sockets) end, Idle)},
            ?MODULE:loop(State);
        Other ->
            %% A close, an error, or data from the server on an idle socket (a server does not
            %% talk on an idle HTTP connection): the socket is not reusable.
            case commitlog_http_transport:event(Other) of
                {event, Id} -> ?MODULE:loop(drop(Id, State));
                none -> ?MODULE:loop(State)
            end
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

%% A caller that died since it asked (Riak killed its put process) gets nothing: ssl would take a
%% TLS socket moved to a dead process for closed, and gen_tcp fails the move of every socket.
hand_out(Key, Caller, State) ->
    case is_process_alive(Caller) andalso take(Key, State) of
        false ->
            {none, State};
        none ->
            {none, State};
        {Socket, State1} ->
            case passive(Socket) andalso commitlog_http_transport:controlling_process(Socket, Caller) of
                ok ->
                    {{ok, Socket}, State1};
                {error, _} ->
                    %% A caller that died since it was checked fails the move of every socket:
                    %% keep this good one, rather than close them all.
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
            Keys1 = maps:remove(id(Socket), Keys),
            {Socket, State#{idle := put_list(Key, Rest, Idle), keys := Keys1}}
    end.

%% Back to {active, false}, then no message of the socket may be left here: one means it was
%% closed or talked while idle, and it is not handed out.
passive(Socket) ->
    commitlog_http_transport:setopts(Socket, [{active, false}]) =:= ok andalso
        commitlog_http_transport:clean(Socket).

keep(Key, Socket, #{idle := Idle, keys := Keys} = State) ->
    case commitlog_http_transport:setopts(Socket, [{active, once}]) of
        ok ->
            TimerRef = erlang:start_timer(?IDLE_MS, self(), {idle, id(Socket)}),
            {Kept, Evicted} = lists:split(
                min(?MAX_IDLE, 1 + length(maps:get(Key, Idle, []))),
                [{Socket, TimerRef} | maps:get(Key, Idle, [])]
            ),
            Keys1 = lists:foldl(
                fun({Old, OldTimer}, Acc) ->
                    _ = erlang:cancel_timer(OldTimer),
                    close(Old),
                    maps:remove(id(Old), Acc)
                end,
                Keys#{id(Socket) => Key},
                Evicted
            ),
            State#{idle := Idle#{Key => Kept}, keys := Keys1};
        {error, _} ->
            close(Socket),
            State
    end.

expire(Id, TimerRef, State) ->
    case find(Id, State) of
        {ok, _Key, {_Socket, TimerRef}} -> drop(Id, State);
        _RearmedOrGone -> State
    end.

%% Closes a socket and forgets it, if it is idle here (Id: commitlog_http_transport:id/1).
drop(Id, #{idle := Idle, keys := Keys} = State) ->
    case find(Id, State) of
        {ok, Key, {Socket, TimerRef} = Entry} ->
            _ = erlang:cancel_timer(TimerRef),
            close(Socket),
            Rest = lists:delete(Entry, maps:get(Key, Idle)),
            State#{idle := put_list(Key, Rest, Idle), keys := maps:remove(Id, Keys)};
        error ->
            State
    end.

%% {ok, Key, {Socket, TimerRef}} for the idle socket whose id is Id.
find(Id, #{idle := Idle, keys := Keys}) ->
    case maps:find(Id, Keys) of
        {ok, Key} ->
            case [E || {S, _} = E <- maps:get(Key, Idle, []), id(S) =:= Id] of
                [Entry] -> {ok, Key, Entry};
                [] -> error
            end;
        error ->
            error
    end.

id(Socket) ->
    commitlog_http_transport:id(Socket).

put_list(Key, [], Idle) -> maps:remove(Key, Idle);
put_list(Key, List, Idle) -> Idle#{Key => List}.

%% The sockets of commitlog_http close at once already ({linger, {true, 0}}); the transport sets
%% it again for a TCP socket, so that no socket checked in can make the pool wait on a close with
%% unsent data in it.
close(Socket) ->
    commitlog_http_transport:close(Socket).

now_ms() ->
    erlang:monotonic_time(millisecond).
