%%% commitlog_breaker: the hook's circuit breaker, shared by every process of the node that runs
%%% the hook (Riak calls postcommit hooks in its many put-FSM processes), without a process of
%%% its own: two atomics, created once and kept in persistent_term.
%%%
%%%   closed     every hand-off calls the ingest.
%%%   open       after a hand-off failed (its budget spent), for the cool-down: hand-offs skip the
%%%              ingest and go to the failure log at once, so an outage does not pin a Riak process
%%%              per write for the whole retry budget.
%%%   half-open  after the cool-down, the first hand-off to ask becomes the probe and calls the
%%%              ingest; the others stay out. The probe's success closes the breaker, its failure
%%%              opens it for another cool-down.
%%%
%%% Inputs:  now_ms() readings (monotonic), the cool-down and a probe timeout in milliseconds.
%%% Outputs: allow/1 -> closed | probe | open; success/0, failure/1, release_probe/0, reset/0 ->
%%%          ok.
%%% Errors:  none.
%%%
%%% Slot 1: open-until time in now_ms() (0 = closed). Slot 2: start time of the probe in flight
%%% (0 = none). now_ms() counts from the VM's start and is >= 1, so 0 never is a real time.
%%% A probe that never reports (its process killed mid-call) stops counting after ProbeTimeoutMs,
%%% and the next caller becomes the probe: the breaker cannot stay stuck open.
%%% A success from a call that started before the breaker opened closes it: that call reached the
%%% ingest, which is the evidence half-open waits for.
%%% The first caller creates the atomics under a lock it tries once (a registered name): a call
%%% that cannot take it never waits, it goes on as if closed, with an array of its own.
-module(commitlog_breaker).

-export([allow/1, success/0, failure/1, release_probe/0, reset/0, now_ms/0]).

-define(KEY, {?MODULE, atomics}).
%% The name whose holder may create the shared atomics (see create/0).
-define(LOCK, commitlog_breaker_creating).
-define(OPEN_UNTIL, 1).
-define(PROBE_SINCE, 2).

-spec allow(ProbeTimeoutMs :: non_neg_integer()) -> closed | probe | open.
allow(ProbeTimeoutMs) ->
    Ref = ref(),
    case atomics:get(Ref, ?OPEN_UNTIL) of
        0 ->
            closed;
        OpenUntil ->
            Now = now_ms(),
            case Now < OpenUntil of
                true -> open;
                false -> claim_probe(Ref, Now, ProbeTimeoutMs)
            end
    end.

-spec success() -> ok.
success() ->
    Ref = ref(),
    %% Read before writing: on the hot path (closed, every commit) this stays a shared read and
    %% the cache line is not bounced between schedulers.
    case atomics:get(Ref, ?OPEN_UNTIL) =:= 0 andalso atomics:get(Ref, ?PROBE_SINCE) =:= 0 of
        true ->
            ok;
        false ->
            atomics:put(Ref, ?OPEN_UNTIL, 0),
            atomics:put(Ref, ?PROBE_SINCE, 0)
    end.

-spec failure(CooldownMs :: non_neg_integer()) -> ok.
failure(CooldownMs) ->
    Ref = ref(),
    atomics:put(Ref, ?OPEN_UNTIL, now_ms() + CooldownMs),
    atomics:put(Ref, ?PROBE_SINCE, 0).

%% For the probe whose call says nothing about the ingest either way (a body so large that its
%% timeout proves nothing): the breaker stays half-open and the next caller probes, rather than
%% every caller staying out until the probe timeout.
-spec release_probe() -> ok.
release_probe() ->
    atomics:put(ref(), ?PROBE_SINCE, 0).

%% Closes the breaker (tests, and an operator's remote console).
-spec reset() -> ok.
reset() -> success().

%% Milliseconds since the VM started, plus one: monotonic, never 0.
-spec now_ms() -> pos_integer().
now_ms() ->
    Since = erlang:monotonic_time() - erlang:system_info(start_time),
    erlang:convert_time_unit(Since, native, millisecond) + 1.

%%% Internal

%% compare_exchange makes exactly one caller the probe, however many arrive together.
claim_probe(Ref, Now, ProbeTimeoutMs) ->
    case atomics:get(Ref, ?PROBE_SINCE) of
        0 ->
            take_probe(Ref, 0, Now);
        Since when Now - Since > ProbeTimeoutMs ->
            take_probe(Ref, Since, Now);
        _InFlight ->
            open
    end.

take_probe(Ref, Expected, Now) ->
    case atomics:compare_exchange(Ref, ?PROBE_SINCE, Expected, Now) of
        ok -> probe;
        _Changed -> open
    end.

%% The atomics are created on first use. persistent_term:put/2 is written once per VM and never
%% again on the hot path (each write makes every process scan for the old term: a global GC).
%% Two first callers could both create one; the lock keeps the second one from replacing the
%% first one's array (it finds it, or does without: create/0), so no array the others read is
%% ever dropped.
ref() ->
    case persistent_term:get(?KEY, undefined) of
        undefined -> create();
        Ref -> Ref
    end.

%% The lock is a name the caller registers for itself: register/2 succeeds or fails at once, and
%% the name goes with the caller if Riak kills it holding it. Not global:trans/4, which this used:
%% even with no retries it waits for global_name_server's answer without a time-out
%% (gen_server:multi_call/3), so a name server that is busy (a cluster's nodes connecting) or
%% hung held every put of a node whose breaker was not created yet, for as long as it lasted.
%% The lock is held for a persistent_term lookup and put. A caller that cannot take it (another
%% first caller holds it, or the caller is registered under a name of its own) does without the
%% shared breaker: it gets an array of its own, closed, so the hand-off calls the ingest (the
%% breaker of a VM that has none yet is closed anyway), and what it records there is dropped;
%% the next call looks for the shared one again.
create() ->
    try register(?LOCK, self()) of
        true ->
            try
                create_locked()
            after
                unregister(?LOCK)
            end
    catch
        error:badarg -> atomics:new(2, [{signed, true}])
    end.

create_locked() ->
    case persistent_term:get(?KEY, undefined) of
        undefined ->
            Ref = atomics:new(2, [{signed, true}]),
            persistent_term:put(?KEY, Ref),
            Ref;
        Ref ->
            Ref
    end.
