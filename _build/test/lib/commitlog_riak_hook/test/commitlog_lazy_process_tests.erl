%% commitlog_lazy_process on its own: one process per name however many callers race to start
%% it, and none started while the name is held.
-module(commitlog_lazy_process_tests).

-include_lib("eunit/include/eunit.hrl").

racing_callers_start_one_process_test() ->
    Name = list_to_atom("commitlog_lazy_test_" ++ integer_to_list(erlang:unique_integer([positive]))),
    Self = self(),
    Run = fun() ->
        Self ! {ran, self()},
        receive stop -> ok end
    end,
    Callers = [
        spawn(fun() ->
            receive go -> ok end,
            Self ! {ensured, self(), commitlog_lazy_process:ensure(Name, Run)}
        end)
     || _ <- lists:seq(1, 20)
    ],
    [C ! go || C <- Callers],
    Pids = [receive {ensured, C, Pid} -> Pid after 5000 -> erlang:error(C) end || C <- Callers],
    Winner = whereis(Name),
    ?assert(is_pid(Winner)),
    ?assertEqual(lists:duplicate(20, Winner), Pids),
    receive {ran, Winner} -> ok after 5000 -> erlang:error(never_ran) end,
    %% Only the winner ran; the losers exit once they learn they lost.
    receive {ran, Other} -> erlang:error({also_ran, Other}) after 100 -> ok end,
    ?assertEqual([Winner], tagged(Name)),
    Winner ! stop.

a_held_name_starts_nothing_test() ->
    Name = list_to_atom("commitlog_lazy_test_" ++ integer_to_list(erlang:unique_integer([positive]))),
    Holder = spawn(fun() -> receive stop -> ok end end),
    true = register(Name, Holder),
    ?assertEqual(Holder, commitlog_lazy_process:ensure(Name, fun() -> erlang:error(ran) end)),
    ?assertEqual([], tagged(Name)),
    Holder ! stop.

no_process_to_start_answers_undefined_test() ->
    Name = list_to_atom("commitlog_lazy_test_" ++ integer_to_list(erlang:unique_integer([positive]))),
    %% As proc_lib:spawn/1 fails when the VM's process table is full.
    Full = fun(_Fun) -> erlang:error(system_limit) end,
    ?assertEqual(undefined, commitlog_lazy_process:ensure(Name, fun() -> ok end, Full)),
    ?assertEqual(undefined, whereis(Name)).

%% The processes started for Name that are alive now.
tagged(Name) ->
    [
        P
     || P <- processes(),
        {dictionary, D} <- [process_info(P, dictionary)],
        proplists:get_value(commitlog_lazy_process, D) =:= Name
    ].
