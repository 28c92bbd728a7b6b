%%% commitlog_test_ingest (TEST ONLY): a tiny HTTP/1.1 server standing in for the ingest, on a
%%% free port of 127.0.0.1, with kept-alive connections; it counts the connections it accepts.
%%% Plain HTTP, or HTTPS when started with TLS server options (ssl's cert, key, ...).
%%%
%%% Inputs:  start/0 (plain), start(#{tls => SslServerOptions}) (TLS 1.2 and 1.3; see
%%%          commitlog_test_tls); set_responses/2 with a list of responses served in order, the last one
%%%          repeated: Status (a 4xx with the ingest's error body, code TEST_<status>; a 429 or 5xx
%%%          without one, as a proxy answers) | {Status, ExtraHeaders :: [{Name, Value}], Body} | no_answer (read
%%%          the request, never answer) | close (read the request, close without answering) |
%%%          {raw, Bytes} (send Bytes as they are, keep the connection) | {raw_then_close, Bytes}
%%%          | {raw_split, Bytes} (one byte per TCP segment, 1 ms apart; keep the connection);
%%%          set_delay/2 (ms to wait before answering); set_idle_timeout/2 (ms a connection waits
%%%          for its next request before the server closes it; infinity by default);
%%%          set_close_on_reuse/2 (true: a connection that has answered once is closed (reset)
%%%          as soon as the next request's first bytes arrive, unread: what a client sees when it
%%%          reuses a kept-alive connection the server has just closed).
%%%          A response that carries `connection: close` does not make the server close: the
%%%          client is the one that must not reuse the connection.
%%% Outputs: start/0,1 -> {Server, Port}; requests/1 -> [#{method, path, headers, body, connection,
%%%          at, sni}] in arrival order (header names lowercase binaries; connection: the number
%%%          of the connection it came on, from 1; at: erlang:monotonic_time(millisecond); sni:
%%%          the name the client sent in its TLS handshake, undefined for none or plain HTTP);
%%%          count/1 -> number of requests; connections/1 -> number of connections accepted (for
%%%          TLS, before the handshake: one the client refuses counts); dropped/1 -> requests cut
%%%          by set_close_on_reuse; stop/1 -> ok.
%%% Errors:  none; a malformed request, or a failed TLS handshake, closes its connection.
-module(commitlog_test_ingest).

-export([
    start/0, start/1, stop/1, set_responses/2, set_delay/2, set_idle_timeout/2, set_close_on_reuse/2,
    requests/1, count/1, connections/1, dropped/1
]).

start() ->
    start(#{}).

start(Options) ->
    Parent = self(),
    Server = spawn(fun() -> init(Parent, Options) end),
    receive
        {Server, port, Port} -> {Server, Port}
    after 5000 -> erlang:error(test_ingest_start_timeout)
    end.

stop(Server) ->
    Ref = monitor(process, Server),
    exit(Server, kill),
    receive
        {'DOWN', Ref, process, Server, _} -> ok
    end.

set_responses(Server, Responses) -> call(Server, {set, responses, Responses}).
set_delay(Server, Ms) -> call(Server, {set, delay, Ms}).
set_idle_timeout(Server, Ms) -> call(Server, {set, idle_timeout, Ms}).
set_close_on_reuse(Server, Bool) -> call(Server, {set, close_on_reuse, Bool}).
requests(Server) -> call(Server, requests).
count(Server) -> length(requests(Server)).
connections(Server) -> call(Server, connections).
dropped(Server) -> call(Server, dropped).

call(Server, Msg) ->
    Ref = make_ref(),
    Server ! {call, self(), Ref, Msg},
    receive
        {Ref, Reply} -> Reply
    after 5000 -> erlang:error({test_ingest_timeout, Msg})
    end.

%%% Server process: owns the listen socket and the script; linked to the acceptor and, through
%%% it, to every connection, so stop/1 takes them all down.

init(Parent, Options) ->
    Base = [binary, {active, false}, {reuseaddr, true}, {ip, {127, 0, 0, 1}}, {backlog, 128}],
    {Mod, Listen, Port} =
        case Options of
            #{tls := Tls} ->
                {ok, _} = application:ensure_all_started(ssl),
                {ok, L} = ssl:listen(0, Base ++ [{versions, ['tlsv1.3', 'tlsv1.2']} | Tls]),
                {ok, {_, P}} = ssl:sockname(L),
                {ssl, L, P};
            #{} ->
                {ok, L} = gen_tcp:listen(0, Base),
                {ok, P} = inet:port(L),
                {gen_tcp, L, P}
        end,
    Self = self(),
    _ = spawn_link(fun() -> accept(Mod, Listen, Self) end),
    Parent ! {self(), port, Port},
    loop(#{
        responses => [202], delay => 0, idle_timeout => infinity, close_on_reuse => false,
        requests => [], connections => 0, dropped => 0
    }).

loop(State = #{responses := Responses, delay := Delay, requests := Requests}) ->
    receive
        {call, From, Ref, {set, Key, Value}} ->
            From ! {Ref, ok},
            loop(State#{Key := Value});
        {call, From, Ref, requests} ->
            From ! {Ref, lists:reverse(Requests)},
            loop(State);
        {call, From, Ref, settings} ->
            From ! {Ref, maps:with([idle_timeout, close_on_reuse], State)},
            loop(State);
        {call, From, Ref, accepted} ->
            N = maps:get(connections, State) + 1,
            From ! {Ref, N},
            loop(State#{connections := N});
        {call, From, Ref, connections} ->
            From ! {Ref, maps:get(connections, State)},
            loop(State);
        {call, From, Ref, dropped} ->
            From ! {Ref, maps:get(dropped, State)},
            loop(State);
        {call, From, Ref, drop} ->
            From ! {Ref, ok},
            loop(State#{dropped := maps:get(dropped, State) + 1});
        {request, From, Ref, Request} ->
            {Response, Rest} =
                case Responses of
                    [Last] -> {Last, [Last]};
                    [First | More] -> {First, More}
                end,
            From ! {Ref, {response(Response), Delay}},
            loop(State#{responses := Rest, requests := [Request | Requests]})
    end.

response({Raw, Bytes}) when Raw =:= raw; Raw =:= raw_then_close; Raw =:= raw_split ->
    {Raw, Bytes};
response(no_answer) -> no_answer;
response(close) -> close;
response({Status, Headers, Body}) -> {Status, Headers, Body};
response(202) -> {202, [], <<"{\"id\":\"test-id\",\"lane\":0,\"duplicate\":false}">>};
response(Status) when Status =:= 429; Status >= 500 ->
    %% No error code: what a proxy with no ingest behind it answers (the ingest's own refusals,
    %% which the hook tells apart by their code, are given whole by the tests that need them).
    {Status, [{<<"content-type">>, <<"text/plain">>}], <<"scripted by the test">>};
response(Status) ->
    {Status, [], <<"{\"error\":{\"code\":\"TEST_", (integer_to_binary(Status))/binary,
        "\",\"message\":\"scripted by the test\"}}">>}.

%% A connection is {Mod, Socket}, Mod gen_tcp or ssl; a TLS connection's handshake is made by
%% its own process, so that a client that refuses it holds up no other.
accept(Mod, Listen, Server) ->
    Accepted =
        case Mod of
            gen_tcp -> gen_tcp:accept(Listen);
            ssl -> ssl:transport_accept(Listen)
        end,
    case Accepted of
        {ok, Socket} ->
            N = call(Server, accepted),
            Pid = spawn_link(fun() ->
                receive
                    go -> handshake({Mod, Socket}, Server, N)
                end
            end),
            ok = Mod:controlling_process(Socket, Pid),
            Pid ! go,
            accept(Mod, Listen, Server);
        {error, _} ->
            ok
    end.

handshake({gen_tcp, _} = Conn, Server, N) ->
    connection(Conn, Server, N, 0);
handshake({ssl, Socket}, Server, N) ->
    case ssl:handshake(Socket, 5000) of
        {ok, Tls} -> connection({ssl, Tls}, Server, N, 0);
        {error, _} -> _ = ssl:close(Socket), ok
    end.

setopts({gen_tcp, S}, Options) -> inet:setopts(S, Options);
setopts({ssl, S}, Options) -> ssl:setopts(S, Options).

recv({Mod, S}, Length) -> Mod:recv(S, Length).
recv({Mod, S}, Length, Timeout) -> Mod:recv(S, Length, Timeout).
send({Mod, S}, Data) -> Mod:send(S, Data).
close({Mod, S}) -> Mod:close(S).

sni({gen_tcp, _}) ->
    undefined;
sni({ssl, S}) ->
    case ssl:connection_information(S, [sni_hostname]) of
        {ok, [{sni_hostname, Name}]} -> Name;
        _ -> undefined
    end.

%% Serves requests on one connection; Served: how many it has answered.
connection(Socket, Server, N, Served) ->
    #{idle_timeout := Idle, close_on_reuse := CloseOnReuse} = call(Server, settings),
    case Served > 0 andalso CloseOnReuse of
        true ->
            ok = setopts(Socket, [{packet, raw}]),
            case recv(Socket, 0) of
                {ok, _FirstBytes} ->
                    ok = call(Server, drop),
                    %% Unread data and linger 0: the client gets a reset, as from a server that
                    %% had closed the connection before the request arrived.
                    ok = setopts(Socket, [{linger, {true, 0}}]);
                {error, _} ->
                    ok
            end,
            close(Socket);
        false ->
            request(Socket, Server, N, Served, Idle)
    end.

request(Socket, Server, N, Served, Idle) ->
    ok = setopts(Socket, [{packet, http_bin}]),
    case recv(Socket, 0, Idle) of
        {ok, {http_request, Method, {abs_path, Path}, _Version}} ->
            Headers = headers(Socket, []),
            ok = setopts(Socket, [{packet, raw}]),
            Length = binary_to_integer(proplists:get_value(<<"content-length">>, Headers, <<"0">>)),
            Body =
                case Length of
                    0 -> <<>>;
                    _ -> {ok, B} = recv(Socket, Length), B
                end,
            Request = #{
                method => Method, path => Path, headers => Headers, body => Body,
                connection => N, at => erlang:monotonic_time(millisecond), sni => sni(Socket)
            },
            Ref = make_ref(),
            Server ! {request, self(), Ref, Request},
            receive
                {Ref, {no_answer, _Delay}} ->
                    receive after infinity -> ok end;
                {Ref, {close, _Delay}} ->
                    close(Socket);
                {Ref, {{raw, Bytes}, Delay}} ->
                    timer:sleep(Delay),
                    _ = send(Socket, Bytes),
                    connection(Socket, Server, N, Served + 1);
                {Ref, {{raw_then_close, Bytes}, Delay}} ->
                    timer:sleep(Delay),
                    _ = send(Socket, Bytes),
                    close(Socket);
                {Ref, {{raw_split, Bytes}, Delay}} ->
                    timer:sleep(Delay),
                    ok = setopts(Socket, [{nodelay, true}]),
                    _ = [
                        begin
                            _ = send(Socket, [Byte]),
                            timer:sleep(1)
                        end
                     || <<Byte>> <= iolist_to_binary(Bytes)
                    ],
                    connection(Socket, Server, N, Served + 1);
                {Ref, {{Status, Extra, RespBody}, Delay}} ->
                    timer:sleep(Delay),
                    _ = send(Socket, [
                        <<"HTTP/1.1 ">>, integer_to_binary(Status), <<" Scripted\r\n">>,
                        <<"content-type: application/json\r\n">>,
                        <<"content-length: ">>, integer_to_binary(byte_size(RespBody)), <<"\r\n">>,
                        [[Name, <<": ">>, V, <<"\r\n">>] || {Name, V} <- Extra],
                        <<"\r\n">>, RespBody
                    ]),
                    connection(Socket, Server, N, Served + 1)
            end;
        _ClosedIdleOrBad ->
            close(Socket)
    end.

headers(Socket, Acc) ->
    case recv(Socket, 0) of
        {ok, {http_header, _, Name, _, Value}} ->
            headers(Socket, [{lower(Name), Value} | Acc]);
        {ok, http_eoh} ->
            lists:reverse(Acc)
    end.

lower(Name) when is_atom(Name) -> lower(atom_to_binary(Name, utf8));
lower(Name) -> string:lowercase(Name).
