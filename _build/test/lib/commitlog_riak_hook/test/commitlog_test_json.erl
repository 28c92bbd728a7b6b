%%% commitlog_test_json (TEST ONLY): a strict JSON decoder, so the tests can read back what the
%%% hook writes and posts (OTP 25 has no json module). Strict on purpose: it refuses trailing
%%% text, bare control characters in strings, invalid escapes, leading zeros and invalid UTF-8,
%%% so a test that decodes the hook's output also checks that it is valid JSON.
%%%
%%% Inputs:  iodata holding one JSON text.
%%% Output:  decode/1 -> objects as maps with binary keys (a repeated key is an error), arrays as
%%%          lists, strings as UTF-8 binaries, integers, floats, true, false, null.
%%% Errors:  error({json, Reason, Rest}) on anything that is not a single valid JSON text.
-module(commitlog_test_json).

-export([decode/1]).

decode(IoData) ->
    Bin = iolist_to_binary(IoData),
    case unicode:characters_to_binary(Bin, utf8, utf8) of
        Bin -> ok;
        _ -> erlang:error({json, invalid_utf8, Bin})
    end,
    {Value, Rest} = value(ws(Bin)),
    case ws(Rest) of
        <<>> -> Value;
        Trailing -> erlang:error({json, trailing, Trailing})
    end.

value(<<${, R/binary>>) -> object(ws(R), #{});
value(<<$[, R/binary>>) -> array(ws(R), []);
value(<<$", R/binary>>) -> string(R, <<>>);
value(<<"true", R/binary>>) -> {true, R};
value(<<"false", R/binary>>) -> {false, R};
value(<<"null", R/binary>>) -> {null, R};
value(<<C, _/binary>> = B) when C =:= $-; C >= $0, C =< $9 -> number(B);
value(B) -> erlang:error({json, unexpected, B}).

object(<<$}, R/binary>>, Acc) when map_size(Acc) =:= 0 -> {Acc, R};
object(<<$", R/binary>>, Acc) ->
    {Key, R1} = string(R, <<>>),
    case maps:is_key(Key, Acc) of
        true -> erlang:error({json, duplicate_key, Key});
        false -> ok
    end,
    <<$:, R2/binary>> = expect(ws(R1), $:),
    {Value, R3} = value(ws(R2)),
    case ws(R3) of
        <<$,, R4/binary>> -> object(ws(R4), Acc#{Key => Value});
        <<$}, R4/binary>> -> {Acc#{Key => Value}, R4};
        Other -> erlang:error({json, object, Other})
    end;
object(B, _) ->
    erlang:error({json, object_key, B}).

array(<<$], R/binary>>, []) -> {[], R};
array(B, Acc) ->
    {Value, R1} = value(B),
    case ws(R1) of
        <<$,, R2/binary>> -> array(ws(R2), [Value | Acc]);
        <<$], R2/binary>> -> {lists:reverse([Value | Acc]), R2};
        Other -> erlang:error({json, array, Other})
    end.

string(<<$", R/binary>>, Acc) -> {Acc, R};
string(<<$\\, $u, H:4/binary, R/binary>>, Acc) ->
    case binary_to_integer(H, 16) of
        Hi when Hi >= 16#D800, Hi =< 16#DBFF ->
            <<$\\, $u, L:4/binary, R2/binary>> = R,
            Lo = binary_to_integer(L, 16),
            true = Lo >= 16#DC00 andalso Lo =< 16#DFFF,
            Cp = 16#10000 + ((Hi - 16#D800) bsl 10) + (Lo - 16#DC00),
            string(R2, <<Acc/binary, Cp/utf8>>);
        Cp when Cp >= 16#DC00, Cp =< 16#DFFF ->
            erlang:error({json, lone_surrogate, H});
        Cp ->
            string(R, <<Acc/binary, Cp/utf8>>)
    end;
string(<<$\\, C, R/binary>>, Acc) ->
    Char =
        case C of
            $" -> $";
            $\\ -> $\\;
            $/ -> $/;
            $b -> $\b;
            $f -> $\f;
            $n -> $\n;
            $r -> $\r;
            $t -> $\t;
            _ -> erlang:error({json, bad_escape, C})
        end,
    string(R, <<Acc/binary, Char>>);
string(<<C, _/binary>>, _Acc) when C < 16#20 ->
    erlang:error({json, control_character, C});
string(<<C, R/binary>>, Acc) ->
    string(R, <<Acc/binary, C>>);
string(<<>>, _Acc) ->
    erlang:error({json, unterminated_string, <<>>}).

number(B) ->
    {match, [Text]} = re:run(
        B,
        <<"^-?(?:0|[1-9][0-9]*)(?:\\.[0-9]+)?(?:[eE][+-]?[0-9]+)?">>,
        [{capture, first, binary}]
    ),
    Rest = binary:part(B, byte_size(Text), byte_size(B) - byte_size(Text)),
    Value =
        case re:run(Text, <<"[.eE]">>, [{capture, none}]) of
            match -> binary_to_float(normalise_float(Text));
            nomatch -> binary_to_integer(Text)
        end,
    {Value, Rest}.

%% binary_to_float/1 wants a fraction: "1e5" -> "1.0e5".
normalise_float(Text) ->
    case binary:match(Text, <<".">>) of
        nomatch -> re:replace(Text, <<"[eE]">>, <<".0e">>, [{return, binary}]);
        _ -> Text
    end.

expect(<<C, _/binary>> = B, C) -> B;
expect(B, C) -> erlang:error({json, {expected, C}, B}).

ws(<<C, R/binary>>) when C =:= $\s; C =:= $\t; C =:= $\n; C =:= $\r -> ws(R);
ws(B) -> B.
