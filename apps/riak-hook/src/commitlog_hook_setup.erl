%%% commitlog_hook_setup: what the hook does once per VM, at its first commit, so that the rest of
%%% its calls stay off the application controller and the file system.
%%%
%%% - ensure_app_loaded/0 loads the commitlog_riak_hook application. The application env of an
%%%   application that is not loaded reads as undefined, even when advanced.config sets it, and
%%%   Riak loads only its own applications: without this the hook's advanced.config settings
%%%   would be ignored.
%%% - check_failure_log_once/1 checks that the failure log can be written. A failure log that
%%%   cannot be written loses every commit the hook cannot hand off, and is otherwise found out
%%%   only in the outage that needs it.
%%%
%%% Each remembers in persistent_term that it ran (written once per VM) and says what went
%%% wrong at error level, once. Errors: none raised.
-module(commitlog_hook_setup).

-export([ensure_app_loaded/0, check_failure_log_once/1, check_secret_once/1]).
-ifdef(TEST).
-export([note_load/1, note_failure_log/2, note_secret/1, once/2]).
-endif.

-define(APP, commitlog_riak_hook).

%% Loads the application from the commitlog_riak_hook.app next to the .beam files, if it is
%% there, on the first call only.
-spec ensure_app_loaded() -> ok.
ensure_app_loaded() ->
    case persistent_term:get({?MODULE, load_tried}, false) of
        true ->
            ok;
        false ->
            note_load(application:load(?APP)),
            persistent_term:put({?MODULE, load_tried}, true)
    end.

-spec check_failure_log_once(file:filename_all()) -> ok.
check_failure_log_once(Path) ->
    once(log_checked, fun() -> note_failure_log(Path, commitlog_failure_log:check(Path)) end).

%%% Internal

%% A secret the ingest can never share (INGEST_SECRETS takes secrets of at least 32 characters,
%% separated by commas) makes every commit 401 and fill the failure log: said once, at error
%% level, at the first commit, with what is wrong and never the secret. No secret at all is
%% said by every hand-off (no_secret).
-spec check_secret_once(binary() | undefined) -> ok.
check_secret_once(Secret) ->
    once(secret_checked, fun() -> note_secret(Secret) end).

%% Runs Check at the first call after the node started (the first commit), never again: marked
%% done first, so that two puts at once check at most twice, and a check that raises is not
%% tried at every commit. A check that raises is reported, never the commit's failure: it would
%% send that commit to the failure log (crash) for want of a warning.
once(Key, Check) ->
    case persistent_term:get({?MODULE, Key}, false) of
        true ->
            ok;
        false ->
            persistent_term:put({?MODULE, Key}, true),
            try
                Check()
            catch
                Class:Reason ->
                    %% The reason's kind only: the secret's check may have raised with it.
                    logger:error(
                        #{what => commitlog_setup_check_crashed, check => Key, class => Class,
                            reason => reason_kind(Reason)},
                        #{domain => [commitlog]}
                    )
            end,
            ok
    end.

reason_kind(Reason) when is_atom(Reason) -> Reason;
reason_kind(Reason) when is_tuple(Reason), tuple_size(Reason) > 0, is_atom(element(1, Reason)) ->
    element(1, Reason);
reason_kind(_) ->
    other.

note_secret(undefined) ->
    ok;
note_secret(Secret) ->
    %% The ingest reads INGEST_SECRETS as text: bytes that are not UTF-8 become U+FFFD there, so
    %% its key can never be them. Counted in bytes then (string:length/1 takes only text).
    Text = unicode:characters_to_binary(Secret) =:= Secret,
    Length =
        case Text of
            true -> string:length(Secret);
            false -> byte_size(Secret)
        end,
    Problems =
        [<<"is not UTF-8 text: the ingest reads its secrets as text, so it cannot sign with these bytes">> || not Text] ++
            [<<"shorter than the 32 characters the ingest takes">> || Length < 32] ++
            [<<"holds a comma: INGEST_SECRETS's list was given, not one secret">> || binary:match(Secret, <<",">>) =/= nomatch],
    case Problems of
        [] ->
            ok;
        _ ->
            logger:error(
                #{
                    what => commitlog_secret_unusable,
                    length => Length,
                    problems => Problems,
                    text => "no ingest can have this secret: every commit will be refused 401 "
                        "and go to the failure log; set the secret the ingest signs with"
                },
                #{domain => [commitlog]}
            )
    end.

note_failure_log(_Path, ok) ->
    ok;
note_failure_log(Path, {error, Reason}) ->
    logger:error(
        #{
            what => commitlog_failure_log_unwritable,
            failure_log => Path,
            file_error => Reason,
            text => "the failure log cannot be written: a commit the hook cannot hand off "
                "would be lost; fix its directory (or set failure_log)"
        },
        #{domain => [commitlog]}
    ).

%% Without our .app file (not copied next to the .beam files, say) the settings of
%% advanced.config are not read at all, and the hook runs on the OS environment and defaults,
%% failure log path included.
note_load(ok) ->
    ok;
note_load({error, {already_loaded, ?APP}}) ->
    ok;
note_load({error, Reason}) ->
    logger:error(
        #{
            what => commitlog_hook_app_not_loaded,
            reason => Reason,
            text => "the commitlog_riak_hook application could not be loaded: its settings in "
                "advanced.config are ignored; the OS environment and the defaults are used "
                "(copy commitlog_riak_hook.app next to the .beam files)"
        },
        #{domain => [commitlog]}
    ).
