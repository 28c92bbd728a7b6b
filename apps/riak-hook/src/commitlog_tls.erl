%%% commitlog_tls: TLS to an https ingest, for commitlog_http_transport. Commits are payment
%%% data: the ingest's certificate is always verified, and there is no setting to turn that off.
%%%
%%% - verify_peer against the CA certificates of `ca_file` (PEM), or the OS's trust store when
%%%   it is unset (OTP 25+; commitlog_tls_ca);
%%% - the certificate must name the URL's host (RFC 6125 rules for https, wildcards included:
%%%   public_key:pkix_verify_hostname_match_fun(https)); a host name is sent as SNI. For an IP
%%%   address no SNI is sent (RFC 6066 has none for addresses) and the certificate must carry
%%%   that address (an iPAddress subjectAltName): ssl checks it against the connection's peer;
%%% - TLS 1.3 and 1.2 only.
%%% Only options that OTP 22 to 26 all take are used.
%%%
%%% Inputs:  client(CaFile): the ca_file setting (bytes) or undefined.
%%%          handshake(TcpSocket, {Host, Port}, Client, TimeoutMs): a connected gen_tcp socket of
%%%          the caller's (binary, passive), the URL's host (a name or an address) and port.
%%% Outputs: client/1 -> {ok, client()} | {error, tls_unconfigured | ca_file_unreadable, Details}
%%%            (commitlog_tls_ca).
%%%          handshake/4 -> {ok, SslSocket}, owned by the caller, passive
%%%            | {error, connect_failed}: no TLS session within TimeoutMs (a strict bound: the
%%%              upgrade runs in a helper process the caller stops waiting for), or the connection
%%%              closed or reset during the handshake (what a failed TCP connect is)
%%%            | {error, tls_failed}: the handshake failed: a certificate that does not verify
%%%              (unknown CA, expired, not for this host), no common version or cipher, or a
%%%              server that does not speak TLS. Logged at error (what => commitlog_tls_failed:
%%%              host, port, tls_alert, detail; never a commit value: nothing of a commit is
%%%              sent before the handshake ends), at most once a second per alert.
%%%          ensure_started/0 -> ok | {error, Reason}: the ssl application is started on the
%%%            first https connection if it is not running (Riak runs it); a failure is logged
%%%            at error at most once a second. A check of a registered name after.
%%%          ssl_options(Host, Client) -> the options given to ssl:connect/3.
%%% Errors:  none raised.
-module(commitlog_tls).

-export([client/1, handshake/4, ensure_started/0, ssl_options/2]).

-ifdef(TEST).
-export([handshake/5]).
-endif.

-export_type([client/0]).

-type client() :: #{source := commitlog_tls_ca:source(), cacerts := [term()]}.

-define(DOMAIN, #{domain => [commitlog]}).
-define(LOG_INTERVAL_MS, 1000).
-define(MAX_DETAIL_BYTES, 400).

-spec client(binary() | undefined) ->
    {ok, client()} | {error, tls_unconfigured | ca_file_unreadable, map()}.
client(CaFile) ->
    case commitlog_tls_ca:lookup(CaFile) of
        {ok, Source, CaCerts} -> {ok, #{source => Source, cacerts => CaCerts}};
        {error, _Reason, _Details} = Error -> Error
    end.

%% depth 10 (OTP 25's default; older releases had 1, too short for a CA with two intermediates).
%% log_level error: ssl would log every alert at notice, once per failed handshake and without
%% a limit; handshake/4 logs them itself, once a second. reuse_sessions false: no session is
%% resumed (each new connection makes a full handshake; connections are kept alive instead).
%% ciphers: TLS 1.3's defaults, and for TLS 1.2 only forward-secret (ECDHE) key exchanges with
%% AEAD ciphers. CRLs are not checked (a private CA is assumed; INSTALL.md says so).
-spec ssl_options(inet:hostname() | inet:ip_address(), client()) -> [ssl:tls_client_option()].
ssl_options(Host, #{cacerts := CaCerts}) ->
    [
        {verify, verify_peer},
        {cacerts, CaCerts},
        {depth, 10},
        {versions, ['tlsv1.3', 'tlsv1.2']},
        {ciphers, ciphers()},
        {reuse_sessions, false},
        {customize_hostname_check, [{match_fun, public_key:pkix_verify_hostname_match_fun(https)}]},
        {log_level, error}
        | server_name(Host)
    ].

%% TLS 1.3's suites have key_exchange any; TLS 1.2's are kept when ECDHE and AEAD.
ciphers() ->
    Tls13 = [S || #{key_exchange := any} = S <- ssl:cipher_suites(default, 'tlsv1.3')],
    Tls12 = [
        S
     || #{key_exchange := Kx, cipher := Cipher} = S <- ssl:cipher_suites(default, 'tlsv1.2'),
        lists:member(Kx, [ecdhe_ecdsa, ecdhe_rsa]),
        lists:member(Cipher, [aes_128_gcm, aes_256_gcm, chacha20_poly1305])
    ],
    Tls13 ++ (Tls12 -- Tls13).

%% A name: sent as SNI, and the name the certificate is checked against. An address: no SNI, and
%% ssl checks the certificate against the socket's peer address (the URL's address).
server_name(Host) when is_list(Host) -> [{server_name_indication, Host}];
server_name(_Address) -> [].

-spec handshake(gen_tcp:socket(), {inet:hostname() | inet:ip_address(), inet:port_number()},
    client(), pos_integer()) -> {ok, ssl:sslsocket()} | {error, connect_failed | tls_failed}.
handshake(Tcp, Destination, Client, TimeoutMs) ->
    handshake(Tcp, Destination, Client, TimeoutMs, fun ssl:connect/3).

%% Internal, exported for tests (Connect stands in for ssl:connect/3). ssl:connect/3's timeout
%% does not bound all of it: before its handshake timer starts, ssl's connection process is set
%% up through ssl_manager (one process for the node, which decodes every CA certificate given,
%% at every connection), and the caller waits for that without a limit. So the upgrade runs in
%% a monitored process of its own (as commitlog_http:resolve/3 does for DNS), given the TCP
%% socket; the caller waits at most TimeoutMs, then kills it and closes the TCP socket. On
%% success the helper hands the TLS socket to the caller before it exits; nothing is linked,
%% nothing is left in the caller's mailbox, and the TCP socket is closed on every failure.
handshake(Tcp, {Host, Port}, Client, TimeoutMs, Connect) ->
    Caller = self(),
    Go = make_ref(),
    Upgrade = fun() ->
        receive
            Go -> ok
        after TimeoutMs -> exit(no_go)
        end,
        exit({upgraded, upgrade(Tcp, {Host, Port}, Client, TimeoutMs, Connect, Caller)})
    end,
    {Pid, Ref} = spawn_monitor(Upgrade),
    case gen_tcp:controlling_process(Tcp, Pid) of
        ok ->
            Pid ! Go,
            receive
                {'DOWN', Ref, process, Pid, {upgraded, Result}} -> Result;
                {'DOWN', Ref, process, Pid, _Other} -> abandon(Tcp, none)
            after TimeoutMs ->
                exit(Pid, kill),
                %% Killed at once: wait for its 'DOWN', which may carry a socket handed over
                %% just before.
                receive
                    {'DOWN', Ref, process, Pid, Reason} -> abandon(Tcp, Reason)
                end
            end;
        {error, _} ->
            erlang:demonitor(Ref, [flush]),
            exit(Pid, kill),
            abandon(Tcp, none)
    end.

%% In the helper: the TLS socket goes to the caller before the helper ends (ssl's connection
%% process ends with its owner).
upgrade(Tcp, {Host, Port}, Client, TimeoutMs, Connect, Caller) ->
    try Connect(Tcp, ssl_options(Host, Client), TimeoutMs) of
        {ok, Ssl} ->
            case ssl:controlling_process(Ssl, Caller) of
                ok ->
                    {ok, Ssl};
                {error, _} ->
                    _ = (catch ssl:close(Ssl)),
                    {error, connect_failed}
            end;
        {error, Reason} when is_atom(Reason) ->
            %% timeout, closed, econnreset, ssl_not_started (stopped since ensure_started/0).
            {error, connect_failed};
        {error, Reason} ->
            failed(Host, Port, Reason)
    catch
        Class:Reason ->
            failed(Host, Port, {Class, Reason})
    end.

%% No TLS session in time: the TCP socket is closed (any process may; the helper, its owner,
%% is dead or about to be, and so is ssl's connection process that ends with it), and a TLS
%% socket handed over in the meantime too.
abandon(Tcp, {upgraded, {ok, Ssl}}) ->
    _ = gen_tcp:close(Tcp),
    _ = (catch ssl:close(Ssl)),
    {error, connect_failed};
abandon(Tcp, {upgraded, {error, _} = Error}) ->
    _ = gen_tcp:close(Tcp),
    Error;
abandon(Tcp, _Reason) ->
    _ = gen_tcp:close(Tcp),
    {error, connect_failed}.

-spec ensure_started() -> ok | {error, term()}.
ensure_started() ->
    %% ssl_sup: the ssl application's top supervisor, registered while it runs.
    case whereis(ssl_sup) of
        undefined -> start_ssl();
        _ -> ok
    end.

%%% Internal

start_ssl() ->
    Result =
        try application:ensure_all_started(ssl) of
            {ok, _Started} -> ok;
            {error, Reason} -> {error, Reason}
        catch
            Class:Reason -> {error, {Class, Reason}}
        end,
    case Result of
        ok ->
            ok;
        {error, Why} ->
            throttled(commitlog_tls_unavailable, #{
                what => commitlog_tls_unavailable,
                reason => limited(Why),
                text => "the ssl application could not be started: an https ingest cannot be "
                    "reached, and commits go to the failure log (connect_failed)"
            }),
            Result
    end.

failed(Host, Port, Reason) ->
    {Alert, Detail} = alert(Reason),
    throttled({commitlog_tls_failed, Alert}, #{
        what => commitlog_tls_failed,
        host => host_text(Host),
        port => Port,
        tls_alert => Alert,
        detail => Detail
    }),
    {error, tls_failed}.

%% {tls_alert, {unknown_ca, "TLS client: ... Unknown CA"}} (OTP 21+), or an error of another
%% shape ({options, ...}: an option this node's ssl refuses). Nothing of a commit is in either.
alert({tls_alert, {Alert, Description}}) when is_atom(Alert) ->
    {Alert, text(Description)};
alert(Reason) when is_tuple(Reason), tuple_size(Reason) > 0, is_atom(element(1, Reason)) ->
    {element(1, Reason), limited(Reason)};
alert(Reason) ->
    {other, limited(Reason)}.

text(Description) ->
    try unicode:characters_to_binary(Description) of
        Bin when is_binary(Bin) -> truncate(Bin);
        _ -> limited(Description)
    catch
        _:_ -> limited(Description)
    end.

%% A term's text, cut short: an options error can hold every CA certificate given.
limited(Term) ->
    truncate(iolist_to_binary(io_lib:format("~0P", [Term, 8]))).

truncate(Bin) when byte_size(Bin) > ?MAX_DETAIL_BYTES -> binary:part(Bin, 0, ?MAX_DETAIL_BYTES);
truncate(Bin) -> Bin.

host_text(Host) when is_list(Host) ->
    unicode:characters_to_binary(Host);
host_text(Address) ->
    case inet:ntoa(Address) of
        {error, _} -> <<"?">>;
        Text -> unicode:characters_to_binary(Text)
    end.

%% Every put of the node can meet the same failure at once: a line a second per kind, saying how
%% many it stands for (commitlog_log_throttle).
throttled(Key, Report) ->
    case commitlog_log_throttle:allow(Key, ?LOG_INTERVAL_MS) of
        {true, Suppressed} -> logger:error(Report#{also_since_last_line => Suppressed}, ?DOMAIN);
        false -> ok
    end.
