%%% commitlog_json: a small JSON encoder for the hook (OTP 25 has no json module, and Riak
%%% releases ship older OTPs still).
%%%
%%% Inputs:  a term built from
%%%            - maps (keys: binaries, atoms or strings), emitted with keys sorted by their bytes so
%%%              the same map always gives the same text;
%%%            - {object, [{Key, Value}]}: an object whose keys are emitted in the order given (the
%%%              caller vouches that they are unique);
%%%            - lists (arrays), binaries (UTF-8 strings), integers, the atoms true, false, null
%%%              (any other atom is emitted as the string of its name);
%%%            - {json, IoData}: text that is already JSON, embedded as is.
%%% Output:  iodata() holding compact JSON (no whitespace, so no newline, outside strings).
%%% Errors:  error({invalid_json, Term}) for a term outside that list (floats, tuples, pids...),
%%%          error({invalid_utf8, Binary}) for a string that is not valid UTF-8: the encoder never
%%%          emits text that a strict JSON parser would refuse. Callers decide beforehand how
%%%          non-UTF-8 bytes travel (commitlog_commit sends them as base64).
-module(commitlog_json).

-export([encode/1, encode_string/1]).

-spec encode(term()) -> iodata().
encode(true) -> <<"true">>;
encode(false) -> <<"false">>;
encode(null) -> <<"null">>;
encode(A) when is_atom(A) -> encode_string(atom_to_binary(A, utf8));
encode(B) when is_binary(B) -> encode_string(B);
encode(I) when is_integer(I) -> integer_to_binary(I);
encode(M) when is_map(M) ->
    Pairs = lists:keysort(1, [{key_binary(K), V} || {K, V} <- maps:to_list(M)]),
    encode_pairs(Pairs);
encode({object, Pairs}) when is_list(Pairs) ->
    encode_pairs([{key_binary(K), V} || {K, V} <- Pairs]);
encode({json, IoData}) ->
    IoData;
encode(L) when is_list(L) ->
    [$[, join([encode(E) || E <- L]), $]];
encode(Other) ->
    erlang:error({invalid_json, Other}).

%% A JSON string literal (with its quotes) for a UTF-8 binary.
-spec encode_string(binary()) -> iodata().
encode_string(B) when is_binary(B) ->
    case unicode:characters_to_binary(B, utf8, utf8) of
        B -> [$", escape(B, 0, 0, B, []), $"];
        _ -> erlang:error({invalid_utf8, B})
    end.

encode_pairs(Pairs) ->
    [${, join([[encode_string(K), $:, encode(V)] || {K, V} <- Pairs]), $}].

key_binary(K) when is_binary(K) -> K;
key_binary(K) when is_atom(K) -> atom_to_binary(K, utf8);
key_binary(K) when is_list(K) -> unicode:characters_to_binary(K);
key_binary(K) -> erlang:error({invalid_json, K}).

join([]) -> [];
join([First | Rest]) -> [First | [[$, | E] || E <- Rest]].

%% Walks the binary once and copies runs of bytes that need no escaping as sub-binaries.
%% Only '"', '\' and the control characters below 0x20 must be escaped; every other byte,
%% including multi-byte UTF-8, passes through unchanged (RFC 8259, section 7).
%% Start: where the current run began; Len: its length so far; Orig: the whole binary.
escape(<<C, Rest/binary>>, Start, Len, Orig, Acc) when C < 16#20; C =:= $"; C =:= $\\ ->
    Run = binary:part(Orig, Start, Len),
    escape(Rest, Start + Len + 1, 0, Orig, [escape_char(C), Run | Acc]);
escape(<<_, Rest/binary>>, Start, Len, Orig, Acc) ->
    escape(Rest, Start, Len + 1, Orig, Acc);
escape(<<>>, Start, Len, Orig, Acc) ->
    lists:reverse([binary:part(Orig, Start, Len) | Acc]).

escape_char($") -> <<"\\\"">>;
escape_char($\\) -> <<"\\\\">>;
escape_char($\n) -> <<"\\n">>;
escape_char($\r) -> <<"\\r">>;
escape_char($\t) -> <<"\\t">>;
escape_char($\b) -> <<"\\b">>;
escape_char($\f) -> <<"\\f">>;
escape_char(C) -> [<<"\\u00">>, hex(C bsr 4), hex(C band 15)].

hex(N) when N < 10 -> $0 + N;
hex(N) -> $a + N - 10.
