%% The breaker's creation, on the first hand-off of a VM: it never waits on another process.
-module(commitlog_breaker_tests).

-include_lib("eunit/include/eunit.hrl").

-define(KEY, {commitlog_breaker, atomics}).

%% global_name_server does not answer (suspended here; in a node: busy with a cluster's nodes
%% connecting, or hung). The first hand-off of the VM still gets its answer from the breaker at
%% once, and creates the shared one: global:trans/4, which the creation used, waited for the
%% name server without a time-out, and every put with it.
a_name_server_that_does_not_answer_holds_no_caller_test_() ->
    {timeout, 30, fun() ->
        _ = persistent_term:erase(?KEY),
        Self = self(),
        ok = sys:suspend(global_name_server),
        Caller = spawn(fun() -> Self ! {self(), commitlog_breaker:allow(1000)} end),
        try
            ?assertEqual(closed, receive {Caller, Answer} -> Answer after 5000 -> blocked end),
            ?assertNotEqual(undefined, persistent_term:get(?KEY, undefined))
        after
            exit(Caller, kill),
            ok = sys:resume(global_name_server)
        end
    end}.

%% Two first callers: the one that finds the creation under way does without (an array of its
%% own, closed) rather than wait; the one that holds it leaves the shared array, which the next
%% call finds.
a_caller_that_finds_the_creation_under_way_does_without_test() ->
    _ = persistent_term:erase(?KEY),
    Self = self(),
    Holder = spawn(fun() ->
        true = register(commitlog_breaker_creating, self()),
        Self ! {self(), holding},
        receive release -> ok end
    end),
    receive {Holder, holding} -> ok after 5000 -> erlang:error(never_holding) end,
    try
        ?assertEqual(closed, commitlog_breaker:allow(1000)),
        ok = commitlog_breaker:failure(60000),
        %% What it recorded was on its own array: nobody shares it.
        ?assertEqual(undefined, persistent_term:get(?KEY, undefined))
    after
        Holder ! release
    end,
    wait_until_unregistered(commitlog_breaker_creating, 100),
    ?assertEqual(closed, commitlog_breaker:allow(1000)),
    Shared = persistent_term:get(?KEY, undefined),
    ?assertNotEqual(undefined, Shared),
    ok = commitlog_breaker:failure(60000),
    ?assertEqual(open, commitlog_breaker:allow(1000)),
    ?assertEqual(Shared, persistent_term:get(?KEY)),
    ok = commitlog_breaker:reset(),
    %% The name was only held while the array was created.
    ?assertEqual(undefined, whereis(commitlog_breaker_creating)).

wait_until_unregistered(Name, 0) ->
    erlang:error({still_registered, Name});
wait_until_unregistered(Name, Tries) ->
    case whereis(Name) of
        undefined -> ok;
        _ -> timer:sleep(10), wait_until_unregistered(Name, Tries - 1)
    end.
