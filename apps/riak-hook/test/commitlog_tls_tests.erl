%% The hand-off to an https ingest: commitlog_hook against commitlog_test_ingest speaking TLS
%% with certificates made for the test (commitlog_test_tls), with the production defaults unless
%% a test says otherwise. The hook's CA file is written to a directory of the test's own.
-module(commitlog_tls_tests).

-include_lib("eunit/include/eunit.hrl").

%% logger handler callback, to capture what the hook logs.

-define(APP, commitlog_riak_hook).
-define(SECRET, <<"test-secret">>).
-define(KEYS, [
    ingest_url, ca_file, secret, failure_log, connect_timeout_ms, request_timeout_ms,
    retry_budget_ms, breaker_cooldown_ms, log_level, statsd_host, statsd_port, max_body_bytes
]).
%% What the test ingest's certificates are for.
-define(LOCAL, [{dNSName, "localhost"}, {iPAddress, <<127, 0, 0, 1>>}]).
-define(ELSEWHERE, [{dNSName, "ingest.invalid"}]).

%%% Fixture: certificates made once (two CAs: the ingest's, and one that signed nothing of it;
%%% a certificate for another name), then for each test a TLS ingest, the hook pointed at
%%% https://localhost:<port> with the ingest's CA, a failure log, a closed breaker, and a logger
%%% handler that captures.

tls_handoff_test_() ->
    {setup, fun make_certs/0, fun(_) -> ok end, fun(Certs) ->
        {foreach, fun() -> setup(Certs) end, fun cleanup/1, [
            fun delivered_over_https_with_the_ca_given/1,
            fun kept_alive_connection_is_reused_over_tls/1,
            fun wrong_ca_goes_to_the_failure_log_and_opens_the_breaker/1,
            fun hostname_mismatch_goes_to_the_failure_log/1,
            fun wildcard_certificate_is_matched_by_the_https_rules/1,
            fun an_ip_url_needs_the_address_in_the_certificate/1,
            fun missing_ca_file_goes_to_the_failure_log_with_the_reason/1,
            fun ca_file_without_certificates_is_unreadable/1,
            fun ca_file_replaced_applies_to_new_connections/1,
            fun no_ca_file_verifies_against_the_os_trust_store/1,
            fun the_connect_timeout_bounds_the_handshake/1,
            fun tls_connection_the_server_closes_while_idle_is_dropped/1,
            fun an_exception_mid_request_closes_the_tls_socket/1,
            fun the_head_cap_and_the_deadline_hold_over_tls/1
        ]}
    end}.

make_certs() ->
    #{
        local => commitlog_test_tls:certs(?LOCAL),
        wildcard => commitlog_test_tls:certs([{dNSName, "*.commitlog.test"}]),
        elsewhere => commitlog_test_tls:certs(?ELSEWHERE),
        other_ca => commitlog_test_tls:certs(?LOCAL)
    }.

setup(#{local := Local} = Certs) ->
    {Server, Port} = commitlog_test_ingest:start(#{tls => maps:get(server, Local)}),
    Dir = filename:join(
        "/tmp",
        "commitlog-tls-test-" ++ os:getpid() ++ "-" ++
            integer_to_list(erlang:unique_integer([positive]))
    ),
    CaFile = filename:join(Dir, "ca.pem"),
    ok = commitlog_test_tls:write_ca(Local, CaFile),
    Log = filename:join(Dir, "failed.jsonl"),
    [application:unset_env(?APP, K) || K <- ?KEYS],
    ok = application:set_env(?APP, ingest_url, url("localhost", Port)),
    ok = application:set_env(?APP, ca_file, CaFile),
    ok = application:set_env(?APP, secret, ?SECRET),
    ok = application:set_env(?APP, failure_log, Log),
    ok = application:set_env(?APP, breaker_cooldown_ms, 60000),
    ok = commitlog_hook:reset_breaker(),
    [persistent_term:erase(K) || {K = {commitlog_log_throttle, _}, _} <- persistent_term:get()],
    Capture = commitlog_test_capture:start(),
    #{
        certs => Certs, server => Server, port => Port, dir => Dir, ca_file => CaFile, log => Log,
        capture => Capture
    }.

cleanup(#{server := Server, dir := Dir, capture := Capture}) ->
    ok = commitlog_test_capture:stop(Capture),
    ok = commitlog_test_ingest:stop(Server),
    [application:unset_env(?APP, K) || K <- ?KEYS],
    ok = commitlog_hook:reset_breaker(),
    _ = [file:delete(F) || F <- filelib:wildcard(filename:join(Dir, "*"))],
    _ = file:del_dir(Dir),
    ok.

%%% Helpers

url(Host, Port) ->
    "https://" ++ Host ++ ":" ++ integer_to_list(Port).

obj(Key) ->
    O = riak_object:new(<<"transactions">>, Key, <<"{\"card\":\"4111-VALUE-NEVER-LOGGED\"}">>),
    riak_object:increment_vclock(O, <<"node-a">>, 63900000000).

failure_lines(#{log := Log}) ->
    case file:read_file(Log) of
        {ok, Bin} -> [commitlog_test_json:decode(L) || L <- binary:split(Bin, <<"\n">>, [global, trim_all])];
        {error, enoent} -> []
    end.

reasons(Ctx) ->
    [R || #{<<"reason">> := R} <- failure_lines(Ctx)].

logged(#{capture := Capture}) ->
    commitlog_test_capture:logged(Capture).

%% {Level, Report} of every line the hook logged of a kind (What).
reports(Events, What) ->
    [{Level, M} || #{level := Level, msg := {report, M = #{what := W}}} <- Events, W =:= What].

%% The hook's ca_file set to a new file holding the CA of Certs (a new path: a file the hook has
%% read is looked at again only once a second).
use_ca(#{dir := Dir}, Certs, Name) ->
    Path = filename:join(Dir, Name),
    ok = commitlog_test_tls:write_ca(Certs, Path),
    ok = application:set_env(?APP, ca_file, Path).

%% Another TLS ingest, with the certificate of Certs, stopped with the test's own.
restart_ingest(#{server := Old} = Ctx, Certs) ->
    ok = commitlog_test_ingest:stop(Old),
    {Server, Port} = commitlog_test_ingest:start(#{tls => maps:get(server, Certs)}),
    ok = application:set_env(?APP, ingest_url, url("localhost", Port)),
    Ctx#{server := Server, port := Port}.

deadline() -> commitlog_test_wait:deadline(10000).

%%% Tests

%% The commit crosses over TLS: the ingest gets the exact body, the Host header and the SNI of
%% the URL's name; nothing is left in the caller's mailbox.
delivered_over_https_with_the_ca_given(#{server := S, port := Port} = Ctx) ->
    ?_test(begin
        Obj = obj(<<"k-tls">>),
        ?assertMatch({delivered, _}, commitlog_hook:handoff(Obj)),
        [#{body := Body, headers := Headers, sni := Sni}] = commitlog_test_ingest:requests(S),
        ?assertEqual(commitlog_hook:commit_json(Obj), Body),
        ?assertEqual(
            <<"localhost:", (integer_to_binary(Port))/binary>>,
            proplists:get_value(<<"host">>, Headers)
        ),
        ?assertEqual("localhost", Sni),
        ?assertEqual([], failure_lines(Ctx)),
        ?assertEqual({messages, []}, process_info(self(), messages))
    end).

kept_alive_connection_is_reused_over_tls(#{server := S, port := Port}) ->
    ?_test(begin
        ?assertMatch({delivered, _}, commitlog_hook:handoff(obj(<<"k-tls-1">>))),
        ?assertMatch({delivered, _}, commitlog_hook:handoff(obj(<<"k-tls-2">>))),
        ?assertMatch([#{connection := 1}, #{connection := 1}], commitlog_test_ingest:requests(S)),
        ?assertEqual(1, commitlog_test_ingest:connections(S)),
        %% Pooled by where its CA came from, apart from any plain connection to that port.
        ?assertMatch(
            [{{"localhost", Port, {file, _, _}}, 1}],
            [KV || {{_, P, _}, _} = KV <- maps:to_list(commitlog_http_pool:idle()), P =:= Port]
        )
    end).

%% A CA that did not sign the ingest's certificate: no request is sent, the commit goes to the
%% failure log as tls_failed after one attempt (no retry), the alert is logged at error, and
%% the breaker opens as for a failed connection.
wrong_ca_goes_to_the_failure_log_and_opens_the_breaker(#{server := S, certs := Certs} = Ctx) ->
    ?_test(begin
        ok = use_ca(Ctx, maps:get(other_ca, Certs), "other-ca.pem"),
        ?assertEqual(ok, commitlog_hook:postcommit(obj(<<"k-wrong-ca">>))),
        ?assertEqual(0, commitlog_test_ingest:count(S)),
        ?assertEqual([<<"tls_failed">>], reasons(Ctx)),
        Events = logged(Ctx),
        ?assertMatch(
            [{error, #{outcome := failed, reason := tls_failed, attempts := 1}}],
            reports(Events, commitlog_handoff)
        ),
        ?assertMatch(
            [{error, #{tls_alert := unknown_ca, host := <<"localhost">>}}],
            reports(Events, commitlog_tls_failed)
        ),
        [?assertEqual(nomatch, binary:match(term_to_binary(E), <<"NEVER-LOGGED">>)) || E <- Events],
        Connections = commitlog_test_ingest:connections(S),
        ?assertMatch({breaker_open, _}, commitlog_hook:handoff(obj(<<"k-wrong-ca-2">>))),
        ?assertEqual(Connections, commitlog_test_ingest:connections(S)),
        ?assertEqual([<<"tls_failed">>, <<"breaker_open">>], reasons(Ctx))
    end).

%% A certificate signed by the right CA, for another name: refused as well.
hostname_mismatch_goes_to_the_failure_log(#{certs := Certs} = Ctx0) ->
    ?_test(begin
        #{server := S} = Ctx = restart_ingest(Ctx0, maps:get(elsewhere, Certs)),
        ok = use_ca(Ctx, maps:get(elsewhere, Certs), "elsewhere-ca.pem"),
        ?assertMatch({failed, _}, commitlog_hook:handoff(obj(<<"k-name">>))),
        ?assertEqual(0, commitlog_test_ingest:count(S)),
        ?assertEqual([<<"tls_failed">>], reasons(Ctx)),
        [{error, #{detail := Detail}}] = reports(logged(Ctx), commitlog_tls_failed),
        ?assertNotEqual(nomatch, binary:match(Detail, <<"hostname_check_failed">>)),
        ok = commitlog_test_ingest:stop(S)
    end).

%% A certificate for *.commitlog.test serves ingest.commitlog.test (RFC 6125's rules for https,
%% which OTP's default hostname check does not apply). The name is made to resolve to
%% 127.0.0.1 through inet's own host table, for this test only.
wildcard_certificate_is_matched_by_the_https_rules(#{certs := Certs} = Ctx0) ->
    ?_test(begin
        #{server := S, port := Port} = Ctx = restart_ingest(Ctx0, maps:get(wildcard, Certs)),
        ok = use_ca(Ctx, maps:get(wildcard, Certs), "wildcard-ca.pem"),
        Lookup = inet_db:res_option(lookup),
        try
            ok = inet_db:set_lookup([file | Lookup -- [file]]),
            ok = inet_db:add_host({127, 0, 0, 1}, ["ingest.commitlog.test"]),
            ok = application:set_env(?APP, ingest_url, url("ingest.commitlog.test", Port)),
            ?assertMatch({delivered, _}, commitlog_hook:handoff(obj(<<"k-wildcard">>))),
            ?assertMatch([#{sni := "ingest.commitlog.test"}], commitlog_test_ingest:requests(S))
        after
            inet_db:del_host({127, 0, 0, 1}),
            inet_db:set_lookup(Lookup),
            commitlog_test_ingest:stop(S)
        end
    end).

%% An address in the URL: no SNI (there is none for an address), and the certificate must name
%% that address.
an_ip_url_needs_the_address_in_the_certificate(#{port := Port, certs := Certs} = Ctx0) ->
    ?_test(begin
        ok = application:set_env(?APP, ingest_url, url("127.0.0.1", Port)),
        ?assertMatch({delivered, _}, commitlog_hook:handoff(obj(<<"k-ip">>))),
        [#{sni := Sni}] = commitlog_test_ingest:requests(maps:get(server, Ctx0)),
        ?assertEqual(undefined, Sni),
        #{server := S, port := Port2} = Ctx = restart_ingest(Ctx0, maps:get(elsewhere, Certs)),
        ok = use_ca(Ctx, maps:get(elsewhere, Certs), "elsewhere-ca.pem"),
        ok = application:set_env(?APP, ingest_url, url("127.0.0.1", Port2)),
        ?assertMatch({failed, _}, commitlog_hook:handoff(obj(<<"k-ip-2">>))),
        ?assertEqual(0, commitlog_test_ingest:count(S)),
        ?assertEqual([<<"tls_failed">>], reasons(Ctx)),
        ok = commitlog_test_ingest:stop(S)
    end).

%% A ca_file that is not there: a configuration error, not an ingest that is down. The commit
%% goes to the failure log with the reason (the put goes on), the line says which file and
%% why, at error level, no connection is made, and the breaker is left closed: once the file
%% is there, the next commit is delivered.
missing_ca_file_goes_to_the_failure_log_with_the_reason(#{server := S, dir := Dir} = Ctx) ->
    ?_test(begin
        Missing = filename:join(Dir, "missing.pem"),
        ok = application:set_env(?APP, ca_file, Missing),
        ?assertEqual(ok, commitlog_hook:postcommit(obj(<<"k-no-ca">>))),
        ?assertEqual([<<"ca_file_unreadable">>], reasons(Ctx)),
        ?assertEqual(0, commitlog_test_ingest:connections(S)),
        MissingBin = list_to_binary(Missing),
        ?assertMatch(
            [{error, #{reason := ca_file_unreadable, ca_file := MissingBin, file_error := enoent,
                attempts := 0}}],
            reports(logged(Ctx), commitlog_handoff)
        ),
        ok = file:rename(maps:get(ca_file, Ctx), Missing),
        ?assertMatch({delivered, _}, commitlog_hook:handoff(obj(<<"k-ca-back">>)))
    end).

ca_file_without_certificates_is_unreadable(#{server := S, ca_file := CaFile} = Ctx) ->
    ?_test(begin
        ok = file:write_file(CaFile, <<"not a certificate\n">>),
        ?assertMatch({failed, _}, commitlog_hook:handoff(obj(<<"k-empty-ca">>))),
        ?assertEqual([<<"ca_file_unreadable">>], reasons(Ctx)),
        ?assertMatch(
            [{error, #{file_error := no_certificates}}], reports(logged(Ctx), commitlog_handoff)
        ),
        ?assertEqual(0, commitlog_test_ingest:connections(S))
    end).

%% The CA file is read once and kept; a file replaced at its path is read again within a
%% second, and a connection made with the old one is not reused (the file is looked at again at
%% most once a second: the wait is for that, not a timing assertion).
ca_file_replaced_applies_to_new_connections(#{server := S, certs := Certs, dir := Dir} = Ctx) ->
    {timeout, 30,
        ?_test(begin
            ?assertMatch({delivered, _}, commitlog_hook:handoff(obj(<<"k-before">>))),
            New = filename:join(Dir, "new-ca.pem"),
            ok = commitlog_test_tls:write_ca(maps:get(other_ca, Certs), New),
            ok = file:rename(New, maps:get(ca_file, Ctx)),
            timer:sleep(1100),
            ?assertMatch({failed, _}, commitlog_hook:handoff(obj(<<"k-after">>))),
            ?assertEqual([<<"tls_failed">>], reasons(Ctx)),
            ?assertEqual(1, commitlog_test_ingest:count(S))
        end)}.

%% Without ca_file, the OS's trust store: it does not hold the test's CA, so the ingest is
%% refused (or, on a machine without one, the node is said to be unconfigured).
no_ca_file_verifies_against_the_os_trust_store(#{server := S} = Ctx) ->
    ?_test(begin
        ok = application:unset_env(?APP, ca_file),
        Saved = os:getenv("COMMITLOG_CA_FILE"),
        true = os:unsetenv("COMMITLOG_CA_FILE"),
        try
            ?assertMatch({failed, _}, commitlog_hook:handoff(obj(<<"k-os-store">>))),
            Expected =
                try public_key:cacerts_get() of
                    [_ | _] -> [<<"tls_failed">>]
                catch
                    _:_ -> [<<"tls_unconfigured">>]
                end,
            ?assertEqual(Expected, reasons(Ctx)),
            ?assertEqual(0, commitlog_test_ingest:count(S))
        after
            Saved =/= false andalso os:putenv("COMMITLOG_CA_FILE", Saved)
        end
    end).

%% A server that takes the TCP connection and never answers the TLS hello: the handshake ends
%% at connect_timeout_ms, not at request_timeout_ms, so the budget has room for more attempts.
the_connect_timeout_bounds_the_handshake(Ctx) ->
    ?_test(begin
        {ok, Listen} = gen_tcp:listen(0, [binary, {active, false}, {ip, {127, 0, 0, 1}}]),
        {ok, Port} = inet:port(Listen),
        Mute = spawn(fun() -> mute(Listen, []) end),
        ok = gen_tcp:controlling_process(Listen, Mute),
        try
            ok = application:set_env(?APP, ingest_url, url("localhost", Port)),
            ok = application:set_env(?APP, connect_timeout_ms, 50),
            ok = application:set_env(?APP, request_timeout_ms, 1000),
            ok = application:set_env(?APP, retry_budget_ms, 1000),
            ?assertMatch({failed, _}, commitlog_hook:handoff(obj(<<"k-mute">>))),
            ?assertEqual([<<"connect_failed">>], reasons(Ctx)),
            [{_, #{attempts := Attempts}}] = reports(logged(Ctx), commitlog_handoff),
            ?assert(Attempts >= 2)
        after
            exit(Mute, kill)
        end
    end).

mute(Listen, Held) ->
    case gen_tcp:accept(Listen) of
        {ok, Socket} -> mute(Listen, [Socket | Held]);
        {error, _} -> ok
    end.

%% The pool watches its idle TLS sockets as it does TCP ones: one the server closes is dropped,
%% and the next hand-off connects anew in its one attempt.
tls_connection_the_server_closes_while_idle_is_dropped(#{server := S, port := Port} = Ctx) ->
    ?_test(begin
        ok = commitlog_test_ingest:set_idle_timeout(S, 100),
        ?assertMatch({delivered, _}, commitlog_hook:handoff(obj(<<"k-idle-1">>))),
        Mine = fun() -> [K || {_, P, _} = K <- maps:keys(commitlog_http_pool:idle()), P =:= Port] end,
        ok = commitlog_test_wait:until(fun() -> Mine() =:= [] end, deadline()),
        ?assertMatch({delivered, _}, commitlog_hook:handoff(obj(<<"k-idle-2">>))),
        ?assertMatch([#{connection := 1}, #{connection := 2}], commitlog_test_ingest:requests(S)),
        ?assertMatch(
            [{_, #{attempts := 1}}, {_, #{attempts := 1}}], reports(logged(Ctx), commitlog_handoff)
        )
    end).

%% An exception while a request is under way on a TLS connection closes its TCP socket at once,
%% whether it came from the pool or was connected for the call, as for plain HTTP.
an_exception_mid_request_closes_the_tls_socket(#{port := Port, ca_file := CaFile}) ->
    ?_test(begin
        {ok, Url} = commitlog_http:parse_url(url("localhost", Port)),
        {ok, Client} = commitlog_tls:client(list_to_binary(CaFile)),
        Opts = #{timeout => 5000, connect_timeout => 5000, checkout_timeout => 1000, tls => Client},
        ?assertMatch({ok, 202, _, _}, commitlog_http:post(Url, <<"/">>, [], <<"{}">>, Opts)),
        Self = self(),
        Raise = fun({tls, _Ssl, Tcp} = Socket, _Deadline) ->
            Self ! {tcp_port, Tcp},
            {ok, _} = commitlog_http_transport:recv(Socket, 1, 1000),
            erlang:error(mid_response)
        end,
        Post = fun() -> commitlog_http:post(Url, <<"/">>, [], <<"{}">>, Opts, Raise) end,
        [
            begin
                ?assertError(mid_response, Post()),
                Tcp = receive {tcp_port, T} -> T after 1000 -> erlang:error(no_socket) end,
                ?assertEqual(undefined, erlang:port_info(Tcp))
            end
         || _PooledThenFresh <- [1, 2]
        ],
        ?assertEqual([], [K || {_, P, _} = K <- maps:keys(commitlog_http_pool:idle()), P =:= Port])
    end).

%% The response is read as over TCP: a head over 64 KiB is http_error, a server that never
%% answers is a timeout at the call's deadline, and neither connection is kept.
the_head_cap_and_the_deadline_hold_over_tls(#{server := S, port := Port, ca_file := CaFile}) ->
    ?_test(begin
        {ok, Url} = commitlog_http:parse_url(url("localhost", Port)),
        {ok, Client} = commitlog_tls:client(list_to_binary(CaFile)),
        Opts = #{timeout => 2000, connect_timeout => 2000, tls => Client},
        Pad = binary:copy(<<"v">>, 30000),
        Head = [<<"HTTP/1.1 202 OK\r\nContent-Length: 2\r\n">>,
            [<<"X-Pad-", N, ": ", Pad/binary, "\r\n">> || N <- "123"], <<"\r\nok">>],
        ok = commitlog_test_ingest:set_responses(S, [{raw, iolist_to_binary(Head)}, no_answer]),
        ?assertEqual({error, http_error}, commitlog_http:post(Url, <<"/">>, [], <<"{}">>, Opts)),
        ?assertEqual(
            {error, timeout},
            commitlog_http:post(Url, <<"/">>, [], <<"{}">>, Opts#{timeout => 300})
        ),
        ?assertEqual(2, commitlog_test_ingest:connections(S)),
        ?assertEqual([], [K || {_, P, _} = K <- maps:keys(commitlog_http_pool:idle()), P =:= Port]),
        ?assertEqual({messages, []}, process_info(self(), messages))
    end).

%%% Without the fixture

%% Verification is always on, with TLS 1.3 and 1.2 only; a name is sent as SNI and checked with
%% the https rules, an address is not sent.
ssl_options_test() ->
    Client = #{source => os_trust_store, cacerts => []},
    Named = commitlog_tls:ssl_options("ingest.example", Client),
    ?assertEqual(verify_peer, proplists:get_value(verify, Named)),
    ?assertEqual(['tlsv1.3', 'tlsv1.2'], proplists:get_value(versions, Named)),
    ?assertEqual("ingest.example", proplists:get_value(server_name_indication, Named)),
    ?assertMatch([{match_fun, F}] when is_function(F), proplists:get_value(customize_hostname_check, Named)),
    Address = commitlog_tls:ssl_options({10, 0, 0, 1}, Client),
    ?assertEqual(undefined, proplists:get_value(server_name_indication, Address)),
    ?assertEqual(verify_peer, proplists:get_value(verify, Address)).

%% Where OTP has no public_key:cacerts_get/0 (before 25), an https ingest without ca_file is a
%% configuration error of its own.
no_os_trust_store_is_tls_unconfigured_test() ->
    ?assertMatch(
        {error, tls_unconfigured, #{problem := no_os_trust_store_before_otp_25}},
        commitlog_tls_ca:os_trust_store(false)
    ).

%% The hook starts ssl itself when the node does not run it.
ssl_is_started_when_it_is_not_running_test() ->
    _ = application:stop(ssl),
    ?assertNot(lists:keymember(ssl, 1, application:which_applications())),
    ?assertEqual(ok, commitlog_tls:ensure_started()),
    ?assert(lists:keymember(ssl, 1, application:which_applications())).
