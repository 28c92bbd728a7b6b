%%% commitlog_tls_ca: the CA certificates an https ingest's certificate is verified against:
%%% those of the PEM file `ca_file` names, or, when it is unset, the OS's trust store
%%% (public_key:cacerts_get/0, OTP 25 and later).
%%%
%%% The settings are read on every commit, so a lookup must cost next to nothing: a file is
%%% read and parsed once, and kept in persistent_term with the file's stamp (size, mtime,
%%% ctime, inode, device). A later lookup takes the certificates from there, and at most once a
%%% second (one caller, by an atomics compare-exchange) looks at the file's stamp again: a
%%% changed file is read again (a CA rotated in place applies within a second), a file gone or
%%% unreadable stops being used. A stat per commit would put a dirty I/O call on every put.
%%% A file that cannot be used is not kept: each commit looks for it again (a stat; a file that
%%% exists but holds no certificate is read again, at most once a second, its failure kept by
%%% its stamp).
%%%
%%% Inputs:  lookup(CaFile): the ca_file setting (a file name as bytes) or undefined.
%%% Outputs: {ok, Source, CaCerts}: CaCerts for ssl's `cacerts` option; Source names where they
%%%            came from ({file, Path, Stamp} | os_trust_store), which changes when they do (the
%%%            kept-alive connections are pooled by it).
%%%          | {error, ca_file_unreadable, #{ca_file, file_error}}: file_error is a file:posix()
%%%            (enoent, eacces, eisdir, ...), not_pem, no_certificates, bad_certificate or
%%%            too_large (over 4 MiB);
%%%          | {error, tls_unconfigured, #{problem}}: no ca_file, and no OS trust store to use
%%%            (OTP before 25, or none found on the node; the latter is not looked for again
%%%            until the node restarts).
%%% Errors:  none raised.
-module(commitlog_tls_ca).

-export([lookup/1]).
-ifdef(TEST).
-export([os_trust_store/1]).
-endif.

-export_type([source/0]).

-include_lib("kernel/include/file.hrl").

-type stamp() :: {non_neg_integer(), integer(), integer(), non_neg_integer(), non_neg_integer()}.
-type source() :: {file, binary(), stamp()} | os_trust_store.
-type reason() :: ca_file_unreadable | tls_unconfigured.

-define(RECHECK_MS, 1000).
-define(MAX_BYTES, 4194304).
-define(OS_STORE_FAILED, {?MODULE, os_trust_store_failed}).

-spec lookup(binary() | undefined) -> {ok, source(), [term()]} | {error, reason(), map()}.
lookup(undefined) ->
    case persistent_term:get(?OS_STORE_FAILED, false) of
        false -> os_trust_store(has_os_trust_store());
        true -> no_trust_store(os_trust_store_unavailable)
    end;
lookup(Path) ->
    case persistent_term:get({?MODULE, Path}, undefined) of
        #{stamp := Stamp, result := Result, checked := Ref} ->
            Now = commitlog_breaker:now_ms(),
            Last = atomics:get(Ref, 1),
            case Now - Last < ?RECHECK_MS orelse atomics:compare_exchange(Ref, 1, Last, Now) =/= ok of
                %% Checked less than a second ago, or another caller checks it now.
                true -> answer(Path, Stamp, Result);
                false -> recheck(Path, Stamp, Result)
            end;
        undefined ->
            load(Path)
    end.

%%% Internal: a file

recheck(Path, Stamp, Result) ->
    case stamp(Path) of
        {ok, Stamp} ->
            answer(Path, Stamp, Result);
        _ChangedOrGone ->
            %% Erased (one scan of every process's heap, as any persistent_term change): only
            %% when the file changed or went, at most once a second.
            _ = persistent_term:erase({?MODULE, Path}),
            load(Path)
    end.

load(Path) ->
    case stamp(Path) of
        {ok, Stamp} ->
            Result = read_certs(Path),
            Checked = atomics:new(1, [{signed, true}]),
            atomics:put(Checked, 1, commitlog_breaker:now_ms()),
            persistent_term:put({?MODULE, Path}, #{stamp => Stamp, result => Result, checked => Checked}),
            answer(Path, Stamp, Result);
        {error, Reason} ->
            unreadable(Path, Reason)
    end.

answer(Path, Stamp, {ok, Certs}) -> {ok, {file, Path, Stamp}, Certs};
answer(Path, _Stamp, {error, Reason}) -> unreadable(Path, Reason).

unreadable(Path, Reason) ->
    {error, ca_file_unreadable, #{ca_file => Path, file_error => Reason}}.

%% raw: no call to the file server, which every process of the node shares.
stamp(Path) ->
    case file:read_file_info(Path, [raw, {time, posix}]) of
        {ok, #file_info{type = regular} = I} ->
            {ok, {I#file_info.size, I#file_info.mtime, I#file_info.ctime, I#file_info.inode,
                I#file_info.major_device}};
        {ok, #file_info{type = directory}} ->
            {error, eisdir};
        {ok, #file_info{}} ->
            {error, not_a_file};
        {error, Reason} ->
            {error, Reason}
    end.

read_certs(Path) ->
    case file:open(Path, [read, raw, binary]) of
        {ok, Fd} ->
            Read =
                try
                    file:read(Fd, ?MAX_BYTES + 1)
                after
                    _ = file:close(Fd)
                end,
            case Read of
                {ok, Bin} when byte_size(Bin) > ?MAX_BYTES -> {error, too_large};
                {ok, Bin} -> certs(Bin);
                eof -> {error, no_certificates};
                {error, Reason} -> {error, Reason}
            end;
        {error, Reason} ->
            {error, Reason}
    end.

%% The certificates of a PEM file, each checked to decode (ssl would otherwise refuse the whole
%% option at every connection, with a reason that names none of them).
certs(Bin) ->
    try public_key:pem_decode(Bin) of
        Entries ->
            case [Der || {'Certificate', Der, not_encrypted} <- Entries] of
                [] -> {error, no_certificates};
                Certs -> decodable(Certs)
            end
    catch
        _:_ -> {error, not_pem}
    end.

decodable(Certs) ->
    try
        _ = [public_key:pkix_decode_cert(Der, otp) || Der <- Certs],
        {ok, Certs}
    catch
        _:_ -> {error, bad_certificate}
    end.

%%% Internal: the OS's trust store

has_os_trust_store() ->
    _ = erlang:module_loaded(public_key) orelse code:ensure_loaded(public_key),
    erlang:function_exported(public_key, cacerts_get, 0).

%% public_key:cacerts_get/0 keeps the store in persistent_term once loaded: a lookup is a read.
%% Loading it fails when the node has none where OTP looks; that is remembered, so that the
%% hook does not scan the OS's directories at every commit.
-spec os_trust_store(boolean()) -> {ok, os_trust_store, [term()]} | {error, tls_unconfigured, map()}.
os_trust_store(false) ->
    no_trust_store(no_os_trust_store_before_otp_25);
os_trust_store(true) ->
    try public_key:cacerts_get() of
        [_ | _] = Certs ->
            {ok, os_trust_store, Certs};
        [] ->
            os_store_failed()
    catch
        _:_ -> os_store_failed()
    end.

os_store_failed() ->
    persistent_term:put(?OS_STORE_FAILED, true),
    no_trust_store(os_trust_store_unavailable).

no_trust_store(Problem) ->
    {error, tls_unconfigured, #{problem => Problem}}.
