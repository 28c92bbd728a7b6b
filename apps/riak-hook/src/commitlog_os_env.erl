%%% commitlog_os_env: a setting's value from the node's OS environment, as text or as bytes.
%%%
%%% Under a latin1 native name encoding (a VM started without +fnu and with LANG unset, as under
%%% systemd), os:getenv gives the environment's bytes one per list element; under a Unicode
%%% encoding the VM has decoded them from UTF-8. A value compared as text (a secret) and a value
%%% used as bytes (a file name) need different readings of the same variable.
%%%
%%% Inputs: a variable's name. Output: undefined when it is unset or empty, else {ok, Value}.
%%% trim/1: a value without what JavaScript's trim() drops at either end (as the ingest reads it).
%%% Errors: none.
-module(commitlog_os_env).

-export([text/1, bytes/1, decode_text/2, decode_bytes/2, trim/1]).

%% The variable as text (a list of code points).
-spec text(string()) -> undefined | {ok, string()}.
text(Var) ->
    with_value(Var, fun decode_text/2).

%% The variable as the bytes it holds.
-spec bytes(string()) -> undefined | {ok, binary()}.
bytes(Var) ->
    with_value(Var, fun decode_bytes/2).

%% Under latin1, UTF-8 text (a secret with a non-ASCII character) would otherwise be encoded to
%% UTF-8 a second time, and every request refused 401. So such a value is read as UTF-8 when it
%% is UTF-8, and kept as it is otherwise.
-spec decode_text(string(), latin1 | utf8) -> string().
decode_text(Value, latin1) ->
    try unicode:characters_to_list(list_to_binary(Value), utf8) of
        Text when is_list(Text) -> Text;
        _NotUtf8 -> Value
    catch
        error:badarg -> Value
    end;
decode_text(Value, _Unicode) ->
    Value.

%% Read as text under latin1 (as a secret is), a UTF-8 path would name another file, or none.
-spec decode_bytes(string(), latin1 | utf8) -> binary().
decode_bytes(Value, latin1) ->
    list_to_binary(Value);
decode_bytes(Value, _Unicode) ->
    case unicode:characters_to_binary(Value) of
        B when is_binary(B) -> B;
        _ -> list_to_binary(Value)
    end.

%%% Internal

with_value(Var, Decode) ->
    case os:getenv(Var) of
        false -> undefined;
        "" -> undefined;
        Value -> {ok, Decode(Value, file:native_name_encoding())}
    end.

%% What the ingest's JavaScript trim() drops at either end: ECMAScript's white space and line
%% terminators, a byte-order mark or a no-break space pasted with the secret among them; what is
%% inside is kept as it is. Bytes that are not UTF-8 lose only ASCII white space.
-spec trim(binary()) -> binary().
trim(Bin) ->
    case unicode:characters_to_list(Bin) of
        Chars when is_list(Chars) ->
            unicode:characters_to_binary(lists:reverse(drop_space(lists:reverse(drop_space(Chars)))));
        _NotUtf8 ->
            re:replace(Bin, <<"^[ \t\r\n\v\f]+|[ \t\r\n\v\f]+$">>, <<>>, [global, {return, binary}])
    end.

drop_space([C | Rest]) when
    C =:= 16#20; C >= 16#9, C =< 16#D; C =:= 16#A0; C =:= 16#1680; C >= 16#2000, C =< 16#200A;
    C =:= 16#2028; C =:= 16#2029; C =:= 16#202F; C =:= 16#205F; C =:= 16#3000; C =:= 16#FEFF
->
    drop_space(Rest);
drop_space(Chars) ->
    Chars.
