%%% commitlog_test_ingest (TEST ONLY): a tiny HTTP/1.1 server standing in for the ingest, on a
%%% free port, with kept-alive connections (as httpc uses them).
%%%
%%% Inputs:  start/0; set_responses/2 with a list of responses served in order, the last one
%%%          repeated: Status | {Status, ExtraHeaders :: [{Name, Value}], Body}; set_delay/2 (ms to
%%%          wait before answering).
%%% Outputs: start/0 -> {Server, Port}; requests/1 -> [#{method, path, headers, body}] in arrival
%%%          order (header names lowercase binaries); count/1 -> number of requests; stop/1 -> ok.
%%% Errors:  none; a malformed request closes its connection.
-module(commitlog_test_ingest).

-export([start/0, stop/1, set_responses/2, set_delay/2, requests/1, count/1]).

start() ->
    Parent = self(),
    Server = spawn(fun() -> init(Parent) end),
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

set_responses(Server, Responses) -> call(Server, {set_responses, Responses}).
set_delay(Server, Ms) -> call(Server, {set_delay, Ms}).
requests(Server) -> call(Server, requests).
count(Server) -> length(requests(Server)).

call(Server, Msg) ->
    Ref = make_ref(),
    Server ! {call, self(), Ref, Msg},
    receive
        {Ref, Reply} -> Reply
    after 5000 -> erlang:error({test_ingest_timeout, Msg})
    end.

%%% Server process: owns the listen socket and the script; linked to the acceptor and, through
%%% it, to every connection, so stop/1 takes them all down.

init(Parent) ->
    {ok, Listen} = gen_tcp:listen(0, [binary, {active, false}, {reuseaddr, true}, {ip, {127, 0, 0, 1}}]),
    {ok, Port} = inet:port(Listen),
    Self = self(),
    _ = spawn_link(fun() -> accept(Listen, Self) end),
    Parent ! {self(), port, Port},
    loop(#{responses => [202], delay => 0, requests => []}).

loop(State = #{responses := Responses, delay := Delay, requests := Requests}) ->
    receive
        {call, From, Ref, {set_responses, New}} ->
            From ! {Ref, ok},
            loop(State#{responses := New});
        {call, From, Ref, {set_delay, Ms}} ->
            From ! {Ref, ok},
            loop(State#{delay := Ms});
        {call, From, Ref, requests} ->
            From ! {Ref, lists:reverse(Requests)},
            loop(State);
        {request, From, Ref, Request} ->
            {Response, Rest} =
                case Responses of
                    [Last] -> {Last, [Last]};
                    [First | More] -> {First, More}
                end,
            From ! {Ref, {response(Response), Delay}},
            loop(State#{responses := Rest, requests := [Request | Requests]})
    end.

response({Status, Headers, Body}) -> {Status, Headers, Body};
response(202) -> {202, [], <<"{\"id\":\"test-id\",\"lane\":0,\"duplicate\":false}">>};
response(Status) ->
    {Status, [], <<"{\"error\":{\"code\":\"TEST_", (integer_to_binary(Status))/binary,
        "\",\"message\":\"scripted by the test\"}}">>}.

accept(Listen, Server) ->
    case gen_tcp:accept(Listen) of
        {ok, Socket} ->
            Pid = spawn_link(fun() -> receive go -> connection(Socket, Server) end end),
            ok = gen_tcp:controlling_process(Socket, Pid),
            Pid ! go,
            accept(Listen, Server);
        {error, _} ->
            ok
    end.

connection(Socket, Server) ->
    ok = inet:setopts(Socket, [{packet, http_bin}]),
    case gen_tcp:recv(Socket, 0) of
        {ok, {http_request, Method, {abs_path, Path}, _Version}} ->
            Headers = headers(Socket, []),
            ok = inet:setopts(Socket, [{packet, raw}]),
            Length = binary_to_integer(proplists:get_value(<<"content-length">>, Headers, <<"0">>)),
            Body =
                case Length of
                    0 -> <<>>;
                    _ -> {ok, B} = gen_tcp:recv(Socket, Length), B
                end,
            Request = #{method => Method, path => Path, headers => Headers, body => Body},
            Ref = make_ref(),
            Server ! {request, self(), Ref, Request},
            receive
                {Ref, {{Status, Extra, RespBody}, Delay}} ->
                    timer:sleep(Delay),
                    _ = gen_tcp:send(Socket, [
                        <<"HTTP/1.1 ">>, integer_to_binary(Status), <<" Scripted\r\n">>,
                        <<"content-type: application/json\r\n">>,
                        <<"content-length: ">>, integer_to_binary(byte_size(RespBody)), <<"\r\n">>,
                        [[N, <<": ">>, V, <<"\r\n">>] || {N, V} <- Extra],
                        <<"\r\n">>, RespBody
                    ]),
                    connection(Socket, Server)
            end;
        _ClosedOrBad ->
            gen_tcp:close(Socket)
    end.

headers(Socket, Acc) ->
    case gen_tcp:recv(Socket, 0) of
        {ok, {http_header, _, Name, _, Value}} ->
            headers(Socket, [{lower(Name), Value} | Acc]);
        {ok, http_eoh} ->
            lists:reverse(Acc)
    end.

lower(Name) when is_atom(Name) -> lower(atom_to_binary(Name, utf8));
lower(Name) -> string:lowercase(Name).
