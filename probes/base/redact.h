#pragma once
/// Redaction of key material in text latchwatch ingests (GPA's messages can quote a key), run
/// before any cut or sanitising so no piece of a secret survives.

#include <string>
#include <string_view>

namespace latchwatch::probes {

/// Replaces with "<redacted>":
/// - a run of 32 or more hex digits;
/// - grouped hex: two or more groups of hex digits of one size (the last may be shorter), each
///   optionally "0x"-prefixed, joined by one or two of " :-_,.;|", 32 or more digits in all
///   ("9f 86 d0 ...", "9f86:d081:...", "0x9f, 0x86, ..."). A GUID (groups 8-4-4-4-12) differs in
///   size and is kept: it names a key, it is not one;
/// - base64 or base64url of key length: a run of 43 or more characters of either alphabet
///   (with '=' padding) mixing upper case, lower case and digits, as a 256-bit key encodes to
///   (43 characters, 44 with padding). Paths and lower-case GUIDs never mix all three.
std::string redact_key_material(std::string_view text);

}  // namespace latchwatch::probes
