%%% commitlog_tls_ca: the CA certificates an https ingest's certificate is verified against:
%%% those of the PEM file `ca_file` names, or, when it is unset, the OS's trust store
%%% (public_key:cacerts_get/0, OTP 25 and later).
%%%
%%% The settings are read on every commit, so a lookup must cost next to nothing: a file is
%%% read and parsed once, and kept in persistent_term with the file's stamp (size, mtime,
%%% ctime, inode, device) and a hash of its bytes. A later lookup takes the certificates from
%%% there, and at most once a second (one caller, by an atomics compare-exchange) looks at the
%%% file's stamp again: a changed file is read again (a CA rotated in place applies within a
%%% second), a file gone or unreadable stops being used. A stat per commit would put a dirty I/O
%%% call on every put. The stamp's times are whole seconds: a file whose mtime or ctime was
%%% within 2 s of its reading may still be rewritten unseen (same size, same second), so it is
%%% read again at each recheck, and its hash compared, until it has been quiet for longer.
%%% Every persistent_term change scans every process's heap, so the entry is put only by one
%%% loader at a time (a registered name), only when missing or different, in one put: concurrent
%%% first lookups each read the file, but one puts it.
%%% A file that cannot be used is not kept: each commit looks for it again (a stat; a file that
%%% exists but holds no certificate is read again, at most once a second, its failure kept by
%%% its stamp).
%%% Each certificate given to ssl is decoded again by ssl at every new connection, in one
%%% process for the node (ssl_manager): the file is capped at 256 KiB and 200 certificates.
%%%
%%% Inputs:  lookup(CaFile): the ca_file setting (a file name as bytes) or undefined.
%%% Outputs: {ok, Source, CaCerts}: CaCerts for ssl's `cacerts` option; Source names where they
%%%            came from ({file, Path, Stamp} | os_trust_store), which changes when they do (the
%%%            kept-alive connections are pooled by it).
%%%          | {error, ca_file_unreadable, #{ca_file, file_error}}: file_error is a file:posix()
%%%            (enoent, eacces, eisdir, ...), not_pem, no_certificates, bad_certificate,
%%%            too_large (over 256 KiB) or too_many_certificates (over 200);
%%%          | {error, tls_unconfigured, #{problem}}: no ca_file, and no OS trust store to use
%%%            (OTP before 25, or none found on the node; the latter, or any failure to load it,
%%%            is looked for again 60 s after the last try, by one caller).
%%% Errors:  none raised.
-module(commitlog_tls_ca).

-export([lookup/1]).
-ifdef(TEST).
-export([os_trust_store/1, os_trust_store/2]).
-endif.

-export_type([source/0]).

-include_lib("kernel/include/file.hrl").

-type stamp() :: {non_neg_integer(), integer(), integer(), non_neg_integer(), non_neg_integer()}.
%% The file's stamp and the md5 of its bytes (undefined when they could not be read).
-type version() :: {stamp(), binary() | undefined}.
-type source() :: {file, binary(), version()} | os_trust_store.
-type reason() :: ca_file_unreadable | tls_unconfigured.

-define(RECHECK_MS, 1000).
-define(MAX_BYTES, 262144).
-define(MAX_CERTS, 200).
-define(SETTLE_S, 2).
-define(OS_RETRY_MS, 60000).
-define(OS_STORE_FAILED, {?MODULE, os_trust_store_failed}).
-define(LOADER, commitlog_tls_ca_loader).

-spec lookup(binary() | undefined) -> {ok, source(), [term()]} | {error, reason(), map()}.
lookup(undefined) ->
    os_trust_store(has_os_trust_store());
lookup(Path) ->
    case persistent_term:get({?MODULE, Path}, undefined) of
        #{checked := Ref, hash := _} = Entry ->
            Now = commitlog_breaker:now_ms(),
            Last = atomics:get(Ref, 1),
            case Now - Last < ?RECHECK_MS orelse atomics:compare_exchange(Ref, 1, Last, Now) =/= ok of
                %% Checked less than a second ago, or another caller checks it now.
                true -> answer(Path, Entry);
                false -> recheck(Path, Entry)
            end;
        _MissingOrOfAnOlderRelease ->
            cold(Path)
    end.

%%% Internal: a file

recheck(Path, #{stamp := Stamp, hash := Hash, checked := Ref} = Entry) ->
    case stamp(Path) of
        {ok, Stamp} ->
            case atomics:get(Ref, 2) of
                0 ->
                    answer(Path, Entry);
                _Unsettled ->
                    case read(Path, Stamp) of
                        #{hash := Hash, checked := NewRef} ->
                            atomics:put(Ref, 2, atomics:get(NewRef, 2)),
                            answer(Path, Entry);
                        Rewritten ->
                            store(Path, Rewritten)
                    end
            end;
        {ok, Changed} ->
            %% Replaced in one put (a scan of every process's heap), at most once a second.
            store(Path, read(Path, Changed));
        {error, Reason} ->
            _ = persistent_term:erase({?MODULE, Path}),
            unreadable(Path, Reason)
    end.

%% Nothing kept yet: every caller reads the file, one at a time stores it.
cold(Path) ->
    case stamp(Path) of
        {ok, Stamp} ->
            Entry = read(Path, Stamp),
            case lock() of
                true ->
                    try
                        store_if_new(Path, Entry)
                    after
                        unlock()
                    end;
                false ->
                    answer(Path, Entry)
            end;
        {error, Reason} ->
            unreadable(Path, Reason)
    end.

store_if_new(Path, #{stamp := Stamp, hash := Hash} = Entry) ->
    case persistent_term:get({?MODULE, Path}, undefined) of
        #{stamp := Stamp, hash := Hash, checked := _} = Stored -> answer(Path, Stored);
        _ -> store(Path, Entry)
    end.

store(Path, Entry) ->
    persistent_term:put({?MODULE, Path}, Entry),
    answer(Path, Entry).

%% The loader's lock: a name the caller holds while it stores (freed if it dies). A caller that
%% has a name of its own cannot take it, and stores as the one loader would.
lock() ->
    case process_info(self(), registered_name) of
        [] ->
            try
                register(?LOADER, self())
            catch
                error:badarg -> false
            end;
        _Named ->
            true
    end.

unlock() ->
    case whereis(?LOADER) =:= self() of
        true -> unregister(?LOADER);
        false -> true
    end.

read(Path, Stamp) ->
    {Result, Hash} = read_certs(Path),
    Checked = atomics:new(2, [{signed, true}]),
    atomics:put(Checked, 1, commitlog_breaker:now_ms()),
    atomics:put(Checked, 2, unsettled(Stamp)),
    #{stamp => Stamp, hash => Hash, result => Result, checked => Checked}.

%% 1 when the file was changed within ?SETTLE_S of now (after its reading): a rewrite in the same
%% second would leave the stamp as it is.
unsettled({_Size, Mtime, Ctime, _Inode, _Device}) ->
    case erlang:system_time(second) =< max(Mtime, Ctime) + ?SETTLE_S of
        true -> 1;
        false -> 0
    end.

answer(Path, #{stamp := Stamp, hash := Hash, result := {ok, Certs}}) ->
    {ok, {file, Path, {Stamp, Hash}}, Certs};
answer(Path, #{result := {error, Reason}}) ->
    unreadable(Path, Reason).

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
                {ok, Bin} when byte_size(Bin) > ?MAX_BYTES -> {{error, too_large}, erlang:md5(Bin)};
                {ok, Bin} -> {certs(Bin), erlang:md5(Bin)};
                eof -> {{error, no_certificates}, erlang:md5(<<>>)};
                {error, Reason} -> {{error, Reason}, undefined}
            end;
        {error, Reason} ->
            {{error, Reason}, undefined}
    end.

%% The certificates of a PEM file, each checked to decode (ssl would otherwise refuse the whole
%% option at every connection, with a reason that names none of them).
certs(Bin) ->
    try public_key:pem_decode(Bin) of
        Entries ->
            case [Der || {'Certificate', Der, not_encrypted} <- Entries] of
                [] -> {error, no_certificates};
                Certs when length(Certs) > ?MAX_CERTS -> {error, too_many_certificates};
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

-spec os_trust_store(boolean()) -> {ok, os_trust_store, [term()]} | {error, tls_unconfigured, map()}.
os_trust_store(false) ->
    no_trust_store(no_os_trust_store_before_otp_25);
os_trust_store(true) ->
    os_trust_store(fun public_key:cacerts_get/0, commitlog_breaker:now_ms()).

%% public_key:cacerts_get/0 keeps the store in persistent_term once loaded: a lookup is a read.
%% Loading it fails when the node has none where OTP looks, or for a passing reason (emfile):
%% the time of the last failure is kept (in an atomics, one put), and the store is looked for
%% again ?OS_RETRY_MS after it, by one caller, so that the hook does not scan the OS's
%% directories at every commit and does not give up on it until the node restarts.
%% Internal, exported for tests (Load stands in for public_key:cacerts_get/0, Now for the time).
-spec os_trust_store(fun(() -> term()), integer()) ->
    {ok, os_trust_store, [term()]} | {error, tls_unconfigured, map()}.
os_trust_store(Load, Now) ->
    case persistent_term:get(?OS_STORE_FAILED, undefined) of
        {failed, Ref} = Failed ->
            Last = atomics:get(Ref, 1),
            case Now - Last < ?OS_RETRY_MS orelse atomics:compare_exchange(Ref, 1, Last, Now) =/= ok of
                true -> no_trust_store(os_trust_store_unavailable);
                false -> load_os_trust_store(Load, Now, Failed)
            end;
        %% Nothing kept, or what an older release kept (true: failed for good).
        Other ->
            load_os_trust_store(Load, Now, Other)
    end.

load_os_trust_store(Load, Now, Kept) ->
    Certs =
        try Load() of
            Loaded -> Loaded
        catch
            _:_ -> []
        end,
    case Certs of
        [_ | _] ->
            _ = Kept =:= undefined orelse persistent_term:erase(?OS_STORE_FAILED),
            {ok, os_trust_store, Certs};
        _ ->
            os_store_failed(Now, Kept)
    end.

%% {failed, Ref}: the retry's time is already in the atomics (its compare-exchange).
os_store_failed(_Now, {failed, _Ref}) ->
    no_trust_store(os_trust_store_unavailable);
os_store_failed(Now, _Kept) ->
    Ref = atomics:new(1, [{signed, true}]),
    atomics:put(Ref, 1, Now),
    persistent_term:put(?OS_STORE_FAILED, {failed, Ref}),
    no_trust_store(os_trust_store_unavailable).

no_trust_store(Problem) ->
    {error, tls_unconfigured, #{problem => Problem}}.
