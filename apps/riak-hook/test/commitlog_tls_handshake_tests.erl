%% commitlog_tls's handshake without the hook: the connect timeout bounds it strictly, even
%% while ssl's own set-up of the connection waits (ssl_manager busy, as with many CA
%% certificates to decode); the TLS socket is the caller's on success; the options offered.
-module(commitlog_tls_handshake_tests).

-include_lib("eunit/include/eunit.hrl").

-define(LOCAL, [{dNSName, "localhost"}, {iPAddress, <<127, 0, 0, 1>>}]).

client(Certs) ->
    #{source => os_trust_store, cacerts => maps:get(ca, Certs)}.

connections() ->
    length(supervisor:which_children(tls_connection_sup)).

%% ssl_manager suspended: ssl's connection process cannot finish its set-up, and ssl:connect/3
%% would wait for it with no limit. The hand-off answers connect_failed (the test would not end
%% otherwise), leaves nothing in the mailbox, and once ssl_manager runs again no port or ssl
%% connection process of it is left. The server takes connections and says nothing.
the_connect_timeout_bounds_a_stalled_tls_setup_test_() ->
    {timeout, 30, fun() ->
        ok = commitlog_tls:ensure_started(),
        Certs = commitlog_test_tls:certs(?LOCAL),
        Ports = erlang:ports(),
        Connections = connections(),
        {ok, Listen} = gen_tcp:listen(0, [binary, {active, false}, {ip, {127, 0, 0, 1}}]),
        {ok, Port} = inet:port(Listen),
        Mute = spawn(fun() -> mute(Listen, []) end),
        ok = gen_tcp:controlling_process(Listen, Mute),
        try
            ok = sys:suspend(ssl_manager),
            Result =
                try
                    commitlog_http_transport:connect(
                        {127, 0, 0, 1}, Port, "localhost", {tls, client(Certs)}, 100
                    )
                after
                    sys:resume(ssl_manager)
                end,
            ?assertEqual({error, connect_failed}, Result),
            ?assertEqual({messages, []}, process_info(self(), messages))
        after
            exit(Mute, kill)
        end,
        Deadline = commitlog_test_wait:deadline(10000),
        ok = commitlog_test_wait:until(fun() -> connections() =:= Connections end, Deadline),
        ok = commitlog_test_wait:until(fun() -> erlang:ports() -- Ports =:= [] end, Deadline)
    end}.

mute(Listen, Held) ->
    case gen_tcp:accept(Listen) of
        {ok, Socket} -> mute(Listen, [Socket | Held]);
        {error, _} -> ok
    end.

%% On success the TLS socket is the caller's: it can hand it on (only the owner may), and the
%% helper that made it is gone.
the_tls_socket_is_the_callers_test() ->
    ok = commitlog_tls:ensure_started(),
    Certs = commitlog_test_tls:certs(?LOCAL),
    {Server, Port} = commitlog_test_ingest:start(#{tls => maps:get(server, Certs)}),
    try
        {ok, Socket} = commitlog_http_transport:connect(
            {127, 0, 0, 1}, Port, "localhost", {tls, client(Certs)}, 5000
        ),
        Other = spawn(fun() -> receive stop -> ok end end),
        ?assertEqual(ok, commitlog_http_transport:controlling_process(Socket, Other)),
        Other ! stop,
        ok = commitlog_http_transport:close(Socket),
        ?assertEqual({messages, []}, process_info(self(), messages))
    after
        commitlog_test_ingest:stop(Server)
    end.

%% TLS 1.3's default suites; for TLS 1.2 only ECDHE with an AEAD cipher; no session reuse.
ssl_options_ciphers_test() ->
    Options = commitlog_tls:ssl_options("ingest.example", #{source => os_trust_store, cacerts => []}),
    ?assertEqual(false, proplists:get_value(reuse_sessions, Options)),
    Ciphers = proplists:get_value(ciphers, Options),
    ?assert(is_list(Ciphers)),
    {Tls13, Tls12} = lists:partition(fun(#{key_exchange := Kx}) -> Kx =:= any end, Ciphers),
    ?assertEqual(
        [S || #{key_exchange := any} = S <- ssl:cipher_suites(default, 'tlsv1.3')], Tls13
    ),
    ?assertNotEqual([], Tls12),
    [
        begin
            ?assert(lists:member(Kx, [ecdhe_ecdsa, ecdhe_rsa])),
            ?assert(lists:member(C, [aes_128_gcm, aes_256_gcm, chacha20_poly1305]))
        end
     || #{key_exchange := Kx, cipher := C} <- Tls12
    ].

%% A server that offers TLS 1.2 with CBC only: no common cipher, refused as tls_failed.
no_cbc_suites_over_tls12_test() ->
    ok = commitlog_tls:ensure_started(),
    Certs = commitlog_test_tls:certs(?LOCAL),
    Cbc = [S || #{key_exchange := ecdhe_ecdsa, cipher := aes_128_cbc} = S <- ssl:cipher_suites(all, 'tlsv1.2')],
    {ok, Listen} = ssl:listen(0, [{versions, ['tlsv1.2']}, {ciphers, Cbc}, {reuseaddr, true},
        {active, false} | maps:get(server, Certs)]),
    {ok, {_, Port}} = ssl:sockname(Listen),
    Acceptor = spawn(fun() ->
        {ok, T} = ssl:transport_accept(Listen),
        _ = ssl:handshake(T, 5000),
        receive stop -> ok end
    end),
    try
        ?assertEqual(
            {error, tls_failed},
            commitlog_http_transport:connect({127, 0, 0, 1}, Port, "localhost", {tls, client(Certs)}, 5000)
        )
    after
        exit(Acceptor, kill),
        ssl:close(Listen)
    end.
