%% commitlog_tls_ca without the hook: the caps on ca_file, one put for concurrent first lookups,
%% a file rewritten in place within the same second, and the OS trust store looked for again
%% after a failure. Files go to a directory of the test's own under /tmp.
-module(commitlog_tls_ca_tests).

-include_lib("eunit/include/eunit.hrl").

-define(LOCAL, [{dNSName, "localhost"}]).

%%% Helpers

dir() ->
    Dir = filename:join(
        "/tmp",
        "commitlog-tls-ca-test-" ++ os:getpid() ++ "-" ++
            integer_to_list(erlang:unique_integer([positive]))
    ),
    ok = filelib:ensure_dir(filename:join(Dir, "x")),
    Dir.

remove(Dir) ->
    Files = filelib:wildcard(filename:join(Dir, "*")),
    [persistent_term:erase({commitlog_tls_ca, list_to_binary(F)}) || F <- Files],
    _ = [file:delete(F) || F <- Files],
    _ = file:del_dir(Dir),
    ok.

pem(Ders) ->
    public_key:pem_encode([{'Certificate', Der, not_encrypted} || Der <- Ders]).

%% The CA that signs the test server's certificate (one certificate).
ca() ->
    [hd(maps:get(ca, commitlog_test_tls:certs(?LOCAL)))].

write(Dir, Name, Bytes) ->
    Path = filename:join(Dir, Name),
    ok = file:write_file(Path, Bytes),
    list_to_binary(Path).

%%% Tests

%% ssl decodes every CA certificate again at each new connection: the file is capped at 256 KiB
%% and 200 certificates.
ca_file_caps_test() ->
    Dir = dir(),
    try
        Ca = ca(),
        Pem = pem(Ca),
        Max = write(Dir, "max.pem", binary:copy(Pem, 200)),
        ?assertMatch({ok, _, Certs} when length(Certs) =:= 200, commitlog_tls_ca:lookup(Max)),
        Many = write(Dir, "many.pem", binary:copy(Pem, 201)),
        ?assertMatch(
            {error, ca_file_unreadable, #{file_error := too_many_certificates}},
            commitlog_tls_ca:lookup(Many)
        ),
        %% One certificate, and text around it (which PEM allows) up to 256 KiB and a byte.
        Padding = binary:copy(<<"x">>, 262145 - byte_size(Pem) - 1),
        Large = write(Dir, "large.pem", <<Pem/binary, Padding/binary, "\n">>),
        ?assertEqual(262145, filelib:file_size(Large)),
        ?assertMatch(
            {error, ca_file_unreadable, #{file_error := too_large}}, commitlog_tls_ca:lookup(Large)
        ),
        Fits = write(Dir, "fits.pem", binary:part(<<Pem/binary, Padding/binary>>, 0, 262144)),
        ?assertMatch({ok, _, [_]}, commitlog_tls_ca:lookup(Fits))
    after
        remove(Dir)
    end.

%% Concurrent first lookups of a file each get its certificates, and only one of them puts it
%% in persistent_term (a put scans every process's heap). Counted by tracing the calls.
concurrent_first_lookups_put_once_test() ->
    Dir = dir(),
    Path = write(Dir, "ca.pem", pem(ca())),
    Self = self(),
    Lookup = fun() ->
        receive go -> ok end,
        Self ! {done, self(), commitlog_tls_ca:lookup(Path)}
    end,
    Pids = [spawn(Lookup) || _ <- lists:seq(1, 20)],
    1 = erlang:trace_pattern({persistent_term, put, 2}, true, [global]),
    try
        [erlang:trace(P, true, [call]) || P <- Pids],
        [P ! go || P <- Pids],
        Results = [receive {done, P, R} -> R end || P <- Pids],
        Ref = erlang:trace_delivered(all),
        receive {trace_delivered, all, Ref} -> ok end,
        ?assertMatch([{ok, {file, Path, _}, [_]}], lists:usort(Results)),
        ?assertEqual(1, puts({commitlog_tls_ca, Path}, 0))
    after
        erlang:trace_pattern({persistent_term, put, 2}, false, [global]),
        flush_traces(),
        remove(Dir)
    end.

puts(Key, N) ->
    receive
        {trace, _, call, {persistent_term, put, [Key, _]}} -> puts(Key, N + 1)
    after 0 -> N
    end.

flush_traces() ->
    receive
        {trace, _, _, _} -> flush_traces()
    after 0 -> ok
    end.

%% A file rewritten in place with the same size within the same second keeps its stamp (whole
%% seconds): it was changed within 2 s of its reading, so the next recheck reads it again and
%% sees other bytes. The sleep waits for the once-a-second recheck, not a timing assertion.
rewritten_in_place_in_the_same_second_test_() ->
    {timeout, 60, fun() ->
        Dir = dir(),
        try
            {PemA, PemB} = same_size(pem(ca()), pem(ca())),
            ok = rewrite(Dir, PemA, PemB, 5)
        after
            remove(Dir)
        end
    end}.

rewrite(_Dir, _PemA, _PemB, 0) ->
    erlang:error(no_rewrite_within_one_second);
rewrite(Dir, PemA, PemB, Tries) ->
    Name = "ca-" ++ integer_to_list(Tries) ++ ".pem",
    Path = write(Dir, Name, PemA),
    {ok, SourceA, CertsA} = commitlog_tls_ca:lookup(Path),
    {ok, Before} = file:read_file_info(Path, [{time, posix}]),
    ok = file:write_file(Path, PemB),
    {ok, After} = file:read_file_info(Path, [{time, posix}]),
    case Before =:= After of
        false ->
            %% A second went by between the two writes: the stamp changed anyway.
            rewrite(Dir, PemA, PemB, Tries - 1);
        true ->
            timer:sleep(1100),
            {ok, SourceB, CertsB} = commitlog_tls_ca:lookup(Path),
            ?assertNotEqual(CertsA, CertsB),
            ?assertEqual([Der || {'Certificate', Der, _} <- public_key:pem_decode(PemB)], CertsB),
            %% Connections verified with the old certificates are pooled apart.
            ?assertNotEqual(SourceA, SourceB),
            ok
    end.

%% Padded with newlines (outside the PEM block, which PEM allows) to the same size.
same_size(A, B) when byte_size(A) =:= byte_size(B) ->
    {A, B};
same_size(A, B) when byte_size(A) < byte_size(B) ->
    {<<A/binary, (binary:copy(<<"\n">>, byte_size(B) - byte_size(A)))/binary>>, B};
same_size(A, B) ->
    {B2, A2} = same_size(B, A),
    {A2, B2}.

%% A failure to load the OS's trust store (here an exception, as emfile would raise) is not
%% kept for good: it is looked for again 60 s after the failure, and then used.
os_trust_store_failure_is_retried_test() ->
    Key = {commitlog_tls_ca, os_trust_store_failed},
    _ = persistent_term:erase(Key),
    Fail = fun() -> erlang:error({failed_to_read_os_cacerts, emfile}) end,
    Loaded = fun() -> [<<"der">>] end,
    try
        Unavailable = {error, tls_unconfigured, #{problem => os_trust_store_unavailable}},
        ?assertEqual(Unavailable, commitlog_tls_ca:os_trust_store(Fail, 0)),
        ?assertEqual(Unavailable, commitlog_tls_ca:os_trust_store(Loaded, 1000)),
        ?assertEqual({ok, os_trust_store, [<<"der">>]}, commitlog_tls_ca:os_trust_store(Loaded, 60000)),
        ?assertEqual(undefined, persistent_term:get(Key, undefined)),
        %% A retry that fails again waits another 60 s.
        ?assertEqual(Unavailable, commitlog_tls_ca:os_trust_store(Fail, 70000)),
        ?assertEqual(Unavailable, commitlog_tls_ca:os_trust_store(Fail, 130000)),
        ?assertEqual(Unavailable, commitlog_tls_ca:os_trust_store(Loaded, 189999)),
        ?assertEqual({ok, os_trust_store, [<<"der">>]}, commitlog_tls_ca:os_trust_store(Loaded, 190000))
    after
        persistent_term:erase(Key)
    end.
