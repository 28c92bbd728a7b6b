%% The transport on its own: commitlog_http against commitlog_test_ingest (real sockets on
%% 127.0.0.1, raw responses where the framing is the point), and commitlog_http_pool.
-module(commitlog_http_tests).

-include_lib("eunit/include/eunit.hrl").

%% The pool is given a second, not the hook's 5 ms: tests that count connections must not see
%% a new one because the pool process was not scheduled in time on a loaded machine.
-define(OPTS, #{timeout => 1000, connect_timeout => 500, checkout_timeout => 1000}).
%% commitlog_test_ingest's 202 body.
-define(ACCEPTED, <<"{\"id\":\"test-id\",\"lane\":0,\"duplicate\":false}">>).

%%% URLs

parse_url_test_() ->
    [
        ?_assertEqual(
            {ok, #{
                scheme => http, host => {127, 0, 0, 1}, port => 8080,
                host_header => <<"127.0.0.1:8080">>, path_prefix => <<>>
            }},
            commitlog_http:parse_url("http://127.0.0.1:8080")
        ),
        ?_assertEqual(
            {ok, #{
                scheme => http, host => "ingest.example", port => 80,
                host_header => <<"ingest.example">>, path_prefix => <<"/base">>
            }},
            commitlog_http:parse_url(<<"http://ingest.example/base/">>)
        ),
        ?_assertEqual(
            {ok, #{
                scheme => http, host => {0, 0, 0, 0, 0, 0, 0, 1}, port => 9000,
                host_header => <<"[::1]:9000">>, path_prefix => <<"/a/b">>
            }},
            commitlog_http:parse_url("HTTP://[::1]:9000/a/b//")
        ),
        %% https: port 443 unless named, and no port in the Host header for 443.
        ?_assertEqual(
            {ok, #{
                scheme => https, host => "ingest.example", port => 443,
                host_header => <<"ingest.example">>, path_prefix => <<"/base">>
            }},
            commitlog_http:parse_url("HTTPS://ingest.example/base/")
        ),
        ?_assertEqual(
            {ok, #{
                scheme => https, host => {127, 0, 0, 1}, port => 8443,
                host_header => <<"127.0.0.1:8443">>, path_prefix => <<>>
            }},
            commitlog_http:parse_url("https://127.0.0.1:8443")
        ),
        ?_assertMatch(
            {ok, #{scheme := https, port := 80, host_header := <<"ingest:80">>}},
            commitlog_http:parse_url("https://ingest:80")
        ),
        [
            ?_assertEqual({error, unsupported_url}, commitlog_http:parse_url(Url))
         || Url <- [
                "ftp://ingest/", "not a url at all", "", "http://", "https://",
                "http://user:pw@ingest/", "https://user@ingest/", "http://ingest/?q=1",
                "https://ingest/?q=1", "http://ingest/#top", "http://ingest:0/",
                "https://ingest:99999/", "ingest:8080", [1000, $x]
            ]
        ]
    ].

%%% Responses

transport_test_() ->
    {foreach, fun() -> commitlog_test_ingest:start() end,
        fun({Server, _Port}) -> commitlog_test_ingest:stop(Server) end, [
            fun request_line_and_headers/1,
            fun chunked_body_is_decoded_and_the_connection_kept/1,
            fun header_names_are_case_insensitive/1,
            fun a_response_split_into_single_bytes_is_read/1,
            fun interim_100_continue_is_skipped/1,
            fun http_1_0_without_keep_alive_is_not_reused/1,
            fun header_bytes_that_are_not_utf8_are_read/1,
            fun body_up_to_close_when_unframed/1,
            fun bytes_after_the_response_make_it_unreusable/1,
            fun bad_status_line_is_http_error/1,
            fun unsupported_transfer_coding_is_http_error/1,
            fun conflicting_content_lengths_are_http_error/1,
            fun oversized_body_is_http_error/1,
            fun truncated_body_is_connection_closed/1,
            fun no_answer_is_timeout_at_the_deadline/1,
            fun localhost_url_is_resolved_and_delivered/1,
            fun a_head_over_64_kib_in_lines_under_it_is_http_error/1,
            fun interim_heads_count_toward_the_head_total/1,
            fun a_head_under_64_kib_in_many_lines_is_read/1,
            fun bytes_that_are_not_utf8_in_a_token_or_a_chunk_size_are_no_crash/1,
            fun an_exception_mid_request_closes_the_socket/1
        ]}.

post(Ctx) ->
    post(Ctx, ?OPTS).

post({_Server, Port}, Opts) ->
    {ok, Url} = commitlog_http:parse_url("http://127.0.0.1:" ++ integer_to_list(Port) ++ "/p/"),
    commitlog_http:post(Url, <<"/v1/commits">>, [{<<"X-Test">>, <<"yes">>}], <<"{}">>, Opts).

raw({Server, _}, Responses) ->
    ok = commitlog_test_ingest:set_responses(Server, [{raw, R} || R <- Responses]).

connections({Server, _}) -> commitlog_test_ingest:connections(Server).

request_line_and_headers({Server, Port} = Ctx) ->
    ?_test(begin
        ?assertEqual(
            {ok, 202,
                [{<<"content-type">>, <<"application/json">>}, {<<"content-length">>, <<"43">>}],
                ?ACCEPTED},
            post(Ctx)
        ),
        [#{method := 'POST', path := <<"/p/v1/commits">>, headers := Headers, body := <<"{}">>}] =
            commitlog_test_ingest:requests(Server),
        ?assertEqual(
            [
                {<<"host">>, <<"127.0.0.1:", (integer_to_binary(Port))/binary>>},
                {<<"x-test">>, <<"yes">>},
                {<<"content-length">>, <<"2">>},
                {<<"connection">>, <<"keep-alive">>}
            ],
            Headers
        )
    end).

chunked_body_is_decoded_and_the_connection_kept(Ctx) ->
    ?_test(begin
        Chunked = <<
            "HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n",
            "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n"
        >>,
        raw(Ctx, [Chunked]),
        ?assertMatch({ok, 202, _, <<"hello world">>}, post(Ctx)),
        ?assertMatch({ok, 202, _, <<"hello world">>}, post(Ctx)),
        ?assertEqual(1, connections(Ctx))
    end).

header_names_are_case_insensitive(Ctx) ->
    ?_test(begin
        raw(Ctx, [<<"HTTP/1.1 503 Busy\r\nCONTENT-LENGTH: 2\r\nRetry-AFTER:  1 \r\n\r\nno">>]),
        {ok, 503, Headers, Body} = post(Ctx),
        ?assertEqual(<<"no">>, Body),
        ?assertEqual({<<"retry-after">>, <<"1">>}, lists:keyfind(<<"retry-after">>, 1, Headers)),
        ?assertMatch({ok, 503, _, <<"no">>}, post(Ctx)),
        ?assertEqual(1, connections(Ctx))
    end).

a_response_split_into_single_bytes_is_read({Server, _} = Ctx) ->
    ?_test(begin
        Response = <<"HTTP/1.1 202 OK\r\nContent-Length: 5\r\n\r\nsplit">>,
        ok = commitlog_test_ingest:set_responses(Server, [{raw_split, Response}]),
        %% 43 bytes, a millisecond apart: on a loaded machine each of those sleeps can take tens
        %% of milliseconds, so the deadline is not what this test is about.
        Slow = ?OPTS#{timeout => 30000},
        ?assertMatch({ok, 202, _, <<"split">>}, post(Ctx, Slow)),
        ?assertMatch({ok, 202, _, <<"split">>}, post(Ctx, Slow)),
        ?assertEqual(1, connections(Ctx))
    end).

interim_100_continue_is_skipped(Ctx) ->
    ?_test(begin
        raw(Ctx, [
            <<"HTTP/1.1 100 Continue\r\n\r\n", "HTTP/1.1 202 OK\r\nContent-Length: 2\r\n\r\nok">>
        ]),
        ?assertMatch({ok, 202, _, <<"ok">>}, post(Ctx))
    end).

%% obs-text in a header (bytes that are not UTF-8, which HTTP allows and some proxies send) is
%% read, not taken for a crash of the hand-off.
header_bytes_that_are_not_utf8_are_read(Ctx) ->
    ?_test(begin
        raw(Ctx, [
            <<"HTTP/1.1 202 OK\r\nConnection: keep-alive, x", 16#E9,
                "\r\nX-Note: caf", 16#E9, "\r\nContent-Length: 2\r\n\r\nok">>
        ]),
        ?assertMatch({ok, 202, _, <<"ok">>}, post(Ctx))
    end).

http_1_0_without_keep_alive_is_not_reused(Ctx) ->
    ?_test(begin
        raw(Ctx, [<<"HTTP/1.0 202 OK\r\nContent-Length: 2\r\n\r\nok">>]),
        ?assertMatch({ok, 202, _, <<"ok">>}, post(Ctx)),
        ?assertMatch({ok, 202, _, <<"ok">>}, post(Ctx)),
        ?assertEqual(2, connections(Ctx))
    end).

body_up_to_close_when_unframed({Server, _} = Ctx) ->
    ?_test(begin
        Response = <<"HTTP/1.1 202 OK\r\n\r\nuntil the end">>,
        ok = commitlog_test_ingest:set_responses(Server, [{raw_then_close, Response}]),
        ?assertMatch({ok, 202, _, <<"until the end">>}, post(Ctx)),
        ?assertMatch({ok, 202, _, <<"until the end">>}, post(Ctx)),
        ?assertEqual(2, connections(Ctx))
    end).

bytes_after_the_response_make_it_unreusable(Ctx) ->
    ?_test(begin
        raw(Ctx, [<<"HTTP/1.1 202 OK\r\nContent-Length: 2\r\n\r\nokEXTRA">>]),
        ?assertMatch({ok, 202, _, <<"ok">>}, post(Ctx)),
        ?assertMatch({ok, 202, _, <<"ok">>}, post(Ctx)),
        ?assertEqual(2, connections(Ctx))
    end).

bad_status_line_is_http_error(Ctx) ->
    ?_test(begin
        raw(Ctx, [<<"SMTP ready\r\n\r\n">>, <<"HTTP/1.1 202 OK\r\nContent-Length: 0\r\n\r\n">>]),
        ?assertEqual({error, http_error}, post(Ctx)),
        ?assertMatch({ok, 202, _, <<>>}, post(Ctx)),
        ?assertEqual(2, connections(Ctx))
    end).

unsupported_transfer_coding_is_http_error(Ctx) ->
    ?_test(begin
        raw(Ctx, [<<"HTTP/1.1 202 OK\r\nTransfer-Encoding: gzip\r\n\r\nxx">>]),
        ?assertEqual({error, http_error}, post(Ctx))
    end).

conflicting_content_lengths_are_http_error(Ctx) ->
    ?_test(begin
        raw(Ctx, [<<"HTTP/1.1 202 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok!">>]),
        ?assertEqual({error, http_error}, post(Ctx))
    end).

oversized_body_is_http_error(Ctx) ->
    ?_test(begin
        raw(Ctx, [<<"HTTP/1.1 202 OK\r\nContent-Length: 1048577\r\n\r\n">>]),
        ?assertEqual({error, http_error}, post(Ctx))
    end).

truncated_body_is_connection_closed({Server, _} = Ctx) ->
    ?_test(begin
        Response = <<"HTTP/1.1 202 OK\r\nContent-Length: 10\r\n\r\nshort">>,
        ok = commitlog_test_ingest:set_responses(Server, [{raw_then_close, Response}]),
        ?assertEqual({error, connection_closed}, post(Ctx))
    end).

no_answer_is_timeout_at_the_deadline({Server, Port}) ->
    ?_test(begin
        ok = commitlog_test_ingest:set_responses(Server, [no_answer]),
        {ok, Url} = commitlog_http:parse_url("http://127.0.0.1:" ++ integer_to_list(Port)),
        Start = erlang:monotonic_time(millisecond),
        Options = #{timeout => 200, connect_timeout => 100},
        ?assertEqual({error, timeout}, commitlog_http:post(Url, <<"/">>, [], <<>>, Options)),
        %% Not before its deadline (a lower bound cannot fail for a slow machine); no upper
        %% bound: that would be a timing threshold, and eunit's own timeout catches a hang.
        ?assert(erlang:monotonic_time(millisecond) - Start >= 200)
    end).

%% A host name goes through the bounded lookup, then the connect to the address it gave.
localhost_url_is_resolved_and_delivered({_Server, Port}) ->
    ?_test(begin
        {ok, Url} = commitlog_http:parse_url("http://localhost:" ++ integer_to_list(Port)),
        ?assertMatch(#{host := "localhost"}, Url),
        ?assertMatch(
            {ok, 202, _, ?ACCEPTED}, commitlog_http:post(Url, <<"/">>, [], <<"{}">>, ?OPTS)
        ),
        ?assertEqual({messages, []}, process_info(self(), messages))
    end).

%% Header lines of Size bytes each, CRLF included.
header_lines(Count, Size) ->
    Value = binary:copy(<<"v">>, Size - byte_size(<<"X-Pad-000: \r\n">>)),
    [
        <<"X-Pad-", (iolist_to_binary(io_lib:format("~3..0B", [N])))/binary, ": ", Value/binary,
            "\r\n">>
     || N <- lists:seq(1, Count)
    ].

%% Each line under the 64 KiB that once capped a line, the head over it in total: refused, or
%% 100 such lines made the hook hold 6.4 MB for one response.
a_head_over_64_kib_in_lines_under_it_is_http_error(Ctx) ->
    ?_test(begin
        raw(Ctx, [
            iolist_to_binary([
                <<"HTTP/1.1 202 OK\r\nContent-Length: 2\r\n">>, header_lines(3, 30000), <<"\r\nok">>
            ])
        ]),
        ?assertEqual({error, http_error}, post(Ctx))
    end).

%% The interim responses before the final one are part of the head: two under 64 KiB each are
%% over it together.
interim_heads_count_toward_the_head_total(Ctx) ->
    ?_test(begin
        raw(Ctx, [
            iolist_to_binary([
                <<"HTTP/1.1 103 Early Hints\r\n">>, header_lines(1, 40000), <<"\r\n">>,
                <<"HTTP/1.1 202 OK\r\nContent-Length: 2\r\n">>, header_lines(1, 30000),
                <<"\r\nok">>
            ])
        ]),
        ?assertEqual({error, http_error}, post(Ctx))
    end).

%% Just under the total, in many lines: read whole.
a_head_under_64_kib_in_many_lines_is_read(Ctx) ->
    ?_test(begin
        Lines = header_lines(90, 600) ++ header_lines(1, 10000),
        Status = <<"HTTP/1.1 202 OK\r\nContent-Length: 2\r\n">>,
        Head = iolist_to_binary([Status, Lines, <<"\r\n">>]),
        ?assert(byte_size(Head) =< 65536),
        raw(Ctx, [<<Head/binary, "ok">>]),
        {ok, 202, Headers, <<"ok">>} = post(Ctx),
        ?assertEqual(92, length(Headers))
    end).

%% Bytes that are not UTF-8 where the client trims (a Connection token, a chunk's size line):
%% string:trim/1,3 raised on them and the hand-off crashed; a token is read as it is, a size
%% that is not hex is a response the client cannot read.
bytes_that_are_not_utf8_in_a_token_or_a_chunk_size_are_no_crash(Ctx) ->
    ?_test(begin
        raw(Ctx, [
            <<"HTTP/1.1 202 OK\r\nConnection: close, ", 16#81, "\r\nContent-Length: 2\r\n\r\nok">>,
            <<"HTTP/1.1 202 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                16#81, "2\r\nok\r\n0\r\n\r\n">>
        ]),
        ?assertMatch({ok, 202, _, <<"ok">>}, post(Ctx)),
        ?assertEqual({error, http_error}, post(Ctx)),
        %% The first said close: not reused.
        ?assertEqual(2, connections(Ctx))
    end).

%% An exception while a request is under way (a bug in reading the response, here a reader that
%% raises after a byte of it): the socket is closed, not left open in the caller (which catches
%% the exception and goes on: commitlog_hook) nor handed back to the pool, whether it came from
%% the pool or was connected for the call. The exception itself goes on to the caller.
an_exception_mid_request_closes_the_socket({_Server, Port} = Ctx) ->
    ?_test(begin
        Key = {{127, 0, 0, 1}, Port},
        Before = own_sockets(),
        ?assertMatch({ok, 202, _, _}, post(Ctx)),
        ok = wait_for_idle(Key, 1, deadline()),
        Raise = fun(Socket, _Deadline) ->
            {ok, _} = gen_tcp:recv(Socket, 1, 1000),
            erlang:error(mid_response)
        end,
        {ok, Url} = commitlog_http:parse_url("http://127.0.0.1:" ++ integer_to_list(Port)),
        Post = fun() -> commitlog_http:post(Url, <<"/">>, [], <<"{}">>, ?OPTS, Raise) end,
        %% On the pooled connection, then on one of its own.
        ?assertError(mid_response, Post()),
        ?assertEqual([], own_sockets() -- Before),
        ?assertEqual(0, idle_count(Key)),
        ?assertError(mid_response, Post()),
        ?assertEqual([], own_sockets() -- Before),
        ?assertEqual(0, idle_count(Key)),
        ?assertMatch({ok, 202, _, _}, post(Ctx)),
        ?assertEqual(3, connections(Ctx))
    end).

%% The TCP sockets this process controls.
own_sockets() ->
    [
        P
     || P <- erlang:ports(),
        erlang:port_info(P, connected) =:= {connected, self()},
        erlang:port_info(P, name) =:= {name, "tcp_inet"}
    ].

%%% The bounded host name lookup (commitlog_http:resolve/3)

%% A lookup slower than the timeout: the caller gets {error, timeout} without waiting for it
%% (the lookup would answer {ok, ...} after 2 s), the lookup process is gone, and nothing is
%% left in the caller's mailbox.
resolve_slow_lookup_times_out_and_leaves_no_message_test() ->
    Self = self(),
    Slow = fun(_Host) ->
        Self ! {lookup_started, self()},
        timer:sleep(2000),
        {ok, {10, 0, 0, 1}}
    end,
    ?assertEqual({error, timeout}, commitlog_http:resolve("slow.example", 50, Slow)),
    Lookup = receive {lookup_started, P} -> P after 1000 -> erlang:error(no_lookup) end,
    ?assertNot(is_process_alive(Lookup)),
    ?assertEqual({messages, []}, process_info(self(), messages)).

resolve_answers_what_the_lookup_answers_test() ->
    Fast = fun("fast.example") -> {ok, {10, 1, 2, 3}} end,
    ?assertEqual({ok, {10, 1, 2, 3}}, commitlog_http:resolve("fast.example", 1000, Fast)),
    NxDomain = fun(_) -> {error, nxdomain} end,
    ?assertEqual({error, nxdomain}, commitlog_http:resolve("none.example", 1000, NxDomain)),
    Crash = fun(_) -> erlang:error(boom) end,
    ?assertEqual({error, nxdomain}, commitlog_http:resolve("crash.example", 1000, Crash)),
    ?assertEqual({messages, []}, process_info(self(), messages)).

resolve_ip_literal_skips_the_lookup_test() ->
    Never = fun(Host) -> erlang:error({looked_up, Host}) end,
    ?assertEqual({ok, {127, 0, 0, 1}}, commitlog_http:resolve("127.0.0.1", 0, Never)),
    ?assertEqual({ok, {127, 0, 0, 1}}, commitlog_http:resolve({127, 0, 0, 1}, 0, Never)),
    ?assertEqual(
        {ok, {0, 0, 0, 0, 0, 0, 0, 1}}, commitlog_http:resolve({0, 0, 0, 0, 0, 0, 0, 1}, 0, Never)
    ),
    ?assertEqual({ok, {0, 0, 0, 0, 0, 0, 0, 1}}, commitlog_http:resolve("::1", 0, Never)).

resolve_localhost_test() ->
    Lookup = fun(H) -> inet:getaddr(H, inet) end,
    ?assertMatch({ok, {127, _, _, _}}, commitlog_http:resolve("localhost", 5000, Lookup)),
    ?assertEqual({messages, []}, process_info(self(), messages)).

connect_refused_is_connect_failed_test() ->
    {ok, L} = gen_tcp:listen(0, [{ip, {127, 0, 0, 1}}]),
    {ok, Port} = inet:port(L),
    ok = gen_tcp:close(L),
    {ok, Url} = commitlog_http:parse_url("http://127.0.0.1:" ++ integer_to_list(Port)),
    ?assertEqual({error, connect_failed}, commitlog_http:post(Url, <<"/">>, [], <<>>, ?OPTS)).

%%% Closing

%% The ingest stops keeping up: the hook gives up on a connection with bytes it could not send
%% yet, and closes it. The close returns at once, in the caller: it does not wait for the
%% ingest to read them (without {linger, {true, 0}} it waited as long as the ingest kept
%% reading a little, up to 3 min, here about a minute, in Riak's put process). The socket is
%% one commitlog_http opened, by way of the pool; the test raises its watermarks only to queue
%% a lot without a send blocking, and makes its kernel buffer small so that the slow reads
%% show as progress to a lingering close. Told by what the ingest sees, not by a clock: a close
%% that discards the unsent bytes resets the connection, one that lingers would end it
%% gracefully once the ingest had read them all (after eunit's time-out here).
close_with_unsent_data_returns_at_once_test_() ->
    {timeout, 30, fun close_with_unsent_data_returns_at_once/0}.

close_with_unsent_data_returns_at_once() ->
    {ok, L} = gen_tcp:listen(0, [
        binary, {active, false}, {ip, {127, 0, 0, 1}}, {recbuf, 4096}, {show_econnreset, true}
    ]),
    {ok, Port} = inet:port(L),
    Self = self(),
    Server = spawn(fun() -> slow_reader(L, Self) end),
    ok = gen_tcp:controlling_process(L, Server),
    Client = spawn(fun() ->
        {ok, Url} = commitlog_http:parse_url("http://127.0.0.1:" ++ integer_to_list(Port)),
        {ok, 202, _, _} = commitlog_http:post(Url, <<"/v1/commits">>, [], <<"{}">>, ?OPTS),
        {ok, Socket} = commitlog_http_pool:checkout({127, 0, 0, 1}, Port, 1000),
        ok = inet:setopts(Socket, [
            {sndbuf, 16384},
            {high_watermark, 16 bsl 20},
            {low_watermark, 8 bsl 20},
            {send_timeout, infinity}
        ]),
        ok = gen_tcp:send(Socket, binary:copy(<<"x">>, 1 bsl 20)),
        {ok, [{send_pend, Unsent}]} = inet:getstat(Socket, [send_pend]),
        Self ! {self(), unsent, Unsent},
        _ = gen_tcp:close(Socket),
        Self ! {self(), closed}
    end),
    try
        Unsent = receive {Client, unsent, U} -> U after 10000 -> erlang:error(no_send) end,
        %% Bytes still in the driver's queue: what a lingering close waits for.
        ?assert(Unsent > 0),
        receive {Client, closed} -> ok end,
        ?assertEqual({error, econnreset}, receive {reader, Ended} -> Ended end)
    after
        exit(Client, kill),
        exit(Server, kill)
    end.

%% Answers one request with a kept-alive 202, then reads a little every 200 ms, and tells
%% Parent how the connection ended.
slow_reader(L, Parent) ->
    {ok, S} = gen_tcp:accept(L),
    ok = read_request(S, <<>>),
    ok = gen_tcp:send(S, <<"HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\n{}">>),
    Parent ! {reader, trickle(S)}.

read_request(S, Acc) ->
    case binary:longest_common_suffix([Acc, <<"\r\n\r\n{}">>]) of
        6 ->
            ok;
        _ ->
            {ok, More} = gen_tcp:recv(S, 0, 5000),
            read_request(S, <<Acc/binary, More/binary>>)
    end.

trickle(S) ->
    timer:sleep(200),
    case gen_tcp:recv(S, 0, 0) of
        {error, timeout} -> trickle(S);
        {ok, _} -> trickle(S);
        {error, _} = Ended -> gen_tcp:close(S), Ended
    end.

%%% The pool

%% Connected pairs: {ClientSide, ServerSide}, both owned by the caller.
pairs(N) ->
    {ok, L} = gen_tcp:listen(0, [binary, {active, false}, {ip, {127, 0, 0, 1}}, {backlog, 64}]),
    {ok, Port} = inet:port(L),
    Pairs = [
        begin
            {ok, C} = gen_tcp:connect({127, 0, 0, 1}, Port, [binary, {active, false}]),
            {ok, A} = gen_tcp:accept(L),
            {C, A}
        end
     || _ <- lists:seq(1, N)
    ],
    ok = gen_tcp:close(L),
    {Port, Pairs}.

idle_count(Key) ->
    maps:get(Key, commitlog_http_pool:idle(), 0).

wait_for_idle(Key, Count, Deadline) ->
    case idle_count(Key) of
        Count ->
            ok;
        Other ->
            case erlang:monotonic_time(millisecond) > Deadline of
                true -> erlang:error({idle, Key, Other, expected, Count});
                false -> timer:sleep(5), wait_for_idle(Key, Count, Deadline)
            end
    end.

pool_test_() ->
    {inorder, [
        {"a destination with nothing idle: none",
            ?_assertEqual(none, commitlog_http_pool:checkout({127, 0, 0, 1}, 1, 5))},
        {"a socket comes back passive, owned by the caller, with no message", fun pool_hand_out/0},
        {"at most 8 idle sockets per destination", fun pool_cap/0},
        {"a socket the server closes while idle is dropped", fun pool_drops_closed/0},
        {"a checkout from a caller that died keeps the idle sockets", fun pool_dead_caller/0},
        {"racing first checkins start one pool", fun pool_start_race/0}
    ]}.

pool_hand_out() ->
    {Port, [{C, A}]} = pairs(1),
    Key = {{127, 0, 0, 1}, Port},
    ok = commitlog_http_pool:checkin({127, 0, 0, 1}, Port, C),
    ok = wait_for_idle(Key, 1, deadline()),
    {ok, C} = commitlog_http_pool:checkout({127, 0, 0, 1}, Port, 100),
    ?assertEqual({ok, [{active, false}]}, inet:getopts(C, [active])),
    ?assertEqual({connected, self()}, erlang:port_info(C, connected)),
    ?assertEqual(0, idle_count(Key)),
    ?assertEqual(none, commitlog_http_pool:checkout({127, 0, 0, 1}, Port, 5)),
    %% Still a working connection.
    ok = gen_tcp:send(C, <<"ping">>),
    ?assertEqual({ok, <<"ping">>}, gen_tcp:recv(A, 4, 1000)),
    ?assertEqual({messages, []}, process_info(self(), messages)),
    gen_tcp:close(C),
    gen_tcp:close(A).

pool_cap() ->
    {Port, Pairs} = pairs(10),
    Key = {{127, 0, 0, 1}, Port},
    [ok = commitlog_http_pool:checkin({127, 0, 0, 1}, Port, C) || {C, _} <- Pairs],
    ok = wait_for_idle(Key, 8, deadline()),
    %% The two checked in first were closed: their server sides see it.
    [{_, A1}, {_, A2} | Kept] = Pairs,
    ?assertEqual({error, closed}, gen_tcp:recv(A1, 0, 1000)),
    ?assertEqual({error, closed}, gen_tcp:recv(A2, 0, 1000)),
    [?assertEqual({error, timeout}, gen_tcp:recv(A, 0, 0)) || {_, A} <- Kept],
    [gen_tcp:close(A) || {_, A} <- Pairs],
    ok = wait_for_idle(Key, 0, deadline()).

pool_drops_closed() ->
    {Port, [{C1, A1}, {C2, A2}]} = pairs(2),
    Key = {{127, 0, 0, 1}, Port},
    ok = commitlog_http_pool:checkin({127, 0, 0, 1}, Port, C1),
    ok = commitlog_http_pool:checkin({127, 0, 0, 1}, Port, C2),
    ok = wait_for_idle(Key, 2, deadline()),
    ok = gen_tcp:close(A2),
    ok = wait_for_idle(Key, 1, deadline()),
    %% The one left is the open one.
    {ok, C1} = commitlog_http_pool:checkout({127, 0, 0, 1}, Port, 100),
    gen_tcp:close(C1),
    gen_tcp:close(A1).

pool_dead_caller() ->
    {Port, [{C1, A1}, {C2, A2}]} = pairs(2),
    Key = {{127, 0, 0, 1}, Port},
    ok = commitlog_http_pool:checkin({127, 0, 0, 1}, Port, C1),
    ok = commitlog_http_pool:checkin({127, 0, 0, 1}, Port, C2),
    ok = wait_for_idle(Key, 2, deadline()),
    %% What checkout/3 sends, from a put process that Riak killed before the pool served it.
    {Dead, Ref} = spawn_monitor(fun() -> ok end),
    receive
        {'DOWN', Ref, process, Dead, _} -> ok
    end,
    Alias = alias([reply]),
    Expires = erlang:monotonic_time(millisecond) + 1000,
    whereis(commitlog_http_pool) ! {checkout, Alias, Dead, Key, Expires},
    receive
        {Alias, Reply} -> ?assertEqual(none, Reply)
    after 1000 -> erlang:error(no_reply)
    end,
    ?assertEqual(2, idle_count(Key)),
    %% Both still open: the server sides see no close.
    ?assertEqual({error, timeout}, gen_tcp:recv(A1, 0, 0)),
    ?assertEqual({error, timeout}, gen_tcp:recv(A2, 0, 0)),
    {ok, C} = commitlog_http_pool:checkout({127, 0, 0, 1}, Port, 100),
    {ok, C3} = commitlog_http_pool:checkout({127, 0, 0, 1}, Port, 100),
    [gen_tcp:close(S) || S <- [C, C3, A1, A2]],
    ok.

pool_start_race() ->
    case whereis(commitlog_http_pool) of
        undefined ->
            ok;
        Old ->
            Ref = monitor(process, Old),
            exit(Old, kill),
            receive {'DOWN', Ref, process, Old, _} -> ok end
    end,
    {Port, Pairs} = pairs(6),
    Key = {{127, 0, 0, 1}, Port},
    Self = self(),
    Racers = [
        spawn(fun() ->
            receive go -> ok end,
            ok = commitlog_http_pool:checkin({127, 0, 0, 1}, Port, C),
            Self ! {self(), done}
        end)
     || {C, _} <- Pairs
    ],
    %% controlling_process/2 must run in the owner (us): hand each socket to its racer first.
    [ok = gen_tcp:controlling_process(C, R) || {{C, _}, R} <- lists:zip(Pairs, Racers)],
    [R ! go || R <- Racers],
    [receive {R, done} -> ok after 5000 -> erlang:error(racer_timeout) end || R <- Racers],
    %% Every socket went to the one registered pool: none was closed by a losing one.
    ok = wait_for_idle(Key, 6, deadline()),
    %% And the losers are gone (they exit as soon as they learn they lost).
    ok = wait_for_pools([whereis(commitlog_http_pool)], deadline()),
    [gen_tcp:close(A) || {_, A} <- Pairs],
    ok = wait_for_idle(Key, 0, deadline()).

pools() ->
    [
        P
     || P <- processes(),
        {dictionary, D} <- [process_info(P, dictionary)],
        proplists:get_value(commitlog_lazy_process, D) =:= commitlog_http_pool
    ].

wait_for_pools(Expected, Deadline) ->
    case pools() of
        Expected ->
            ok;
        Other ->
            case erlang:monotonic_time(millisecond) > Deadline of
                true -> erlang:error({pools, Other, expected, Expected});
                false -> timer:sleep(5), wait_for_pools(Expected, Deadline)
            end
    end.

deadline() -> erlang:monotonic_time(millisecond) + 3000.
