%%% commitlog_lazy_process: a registered process that its first user starts and nobody supervises.
%%% The hook runs in Riak's put processes, which come and go and own nothing: such a process is
%%% unlinked from every caller, and if it ever dies the next user starts a new one. Starting is
%%% race-safe: two callers that start one at the same time both end up using the one whose
%%% `register` won; the other exits at once.
%%%
%%% Inputs:  ensure(Name, Run): the registered name, and the process's body (it runs once the
%%%          process holds the name).
%%% Outputs: ensure/2 -> the pid registered as Name (started if need be), or undefined when the
%%%          one that won the race died in the meantime, or when no process can be started (the
%%%          VM's process table full, in an overloaded Riak): the caller then does the work
%%%          itself.
%%% Errors:  none.
%%% Each such process holds the name it was started for in its process dictionary, under this
%%% module's name.
-module(commitlog_lazy_process).

-export([ensure/2]).

-ifdef(TEST).
-export([ensure/3]).
-endif.

%% How long a new process waits for its starter to say whether it won the name.
-define(START_WAIT_MS, 1000).

-spec ensure(atom(), fun(() -> term())) -> pid() | undefined.
ensure(Name, Run) ->
    ensure(Name, Run, fun proc_lib:spawn/1).

%% Spawn: how the process is started (the tests' fails as a full process table does).
ensure(Name, Run, Spawn) ->
    case whereis(Name) of
        undefined -> start(Name, Run, Spawn);
        Pid -> Pid
    end.

%% The starter registers the new process, so that it knows at once which one won.
start(Name, Run, Spawn) ->
    try Spawn(fun() -> init(Name, Run) end) of
        Pid -> claim(Name, Pid)
    catch
        %% system_limit: no process can be started now.
        error:_ -> undefined
    end.

claim(Name, Pid) ->
    try register(Name, Pid) of
        true ->
            Pid ! {?MODULE, registered},
            Pid
    catch
        error:badarg ->
            %% Another caller's process won (or the name is taken): use that one.
            Pid ! {?MODULE, lost},
            whereis(Name)
    end.

init(Name, Run) ->
    %% Which name it was started for, for a remote console (and the tests) to find it by, even
    %% when it lost the race.
    put(?MODULE, Name),
    receive
        {?MODULE, registered} -> Run();
        {?MODULE, lost} -> ok
    after ?START_WAIT_MS ->
        %% The starter died between spawning and telling: carry on only if registered.
        case whereis(Name) =:= self() of
            true -> Run();
            false -> ok
        end
    end.
