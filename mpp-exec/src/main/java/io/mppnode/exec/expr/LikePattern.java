package io.mppnode.exec.expr;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A compiled LIKE pattern, matched against UTF-8 bytes: {@code %} is any run of characters,
 * {@code _} exactly one character (one code point, whatever its byte length), the escape
 * character makes the next character literal, anything else matches itself (case-sensitive,
 * byte for byte). Patterns made of literals and {@code %} only at the ends take a fast path
 * (exact, prefix, suffix, contains); the rest run a wildcard matcher that backtracks to the
 * last {@code %} only, so it is linear for most patterns and never worse than O(n * m).
 *
 * <p>UTF-8 makes byte matching of literals safe: a literal's first byte is a lead byte, which
 * only occurs at a character's start. Immutable and thread-safe.
 */
final class LikePattern {
    private static final short ONE = 256;
    private static final short ANY = 257;

    private enum Shape { EVERYTHING, EXACT, PREFIX, SUFFIX, CONTAINS, GENERAL }

    private final Shape shape;
    /** The literal of the fast shapes. */
    private final byte[] literal;
    /** The general matcher's program: a literal byte (0..255), {@link #ONE} or {@link #ANY} each. */
    private final short[] program;

    private LikePattern(Shape shape, byte[] literal, short[] program) {
        this.shape = shape;
        this.literal = literal;
        this.program = program;
    }

    /** Thrown for a pattern that ends with its escape character. */
    static final class MalformedPatternException extends Exception {
        private static final long serialVersionUID = 1L;

        MalformedPatternException(String message) {
            super(message);
        }
    }

    /**
     * @param pattern the pattern's text
     * @param escape the escape character's code point
     * @throws MalformedPatternException when the pattern ends with the escape character
     */
    static LikePattern compile(String pattern, int escape) throws MalformedPatternException {
        ByteArrayOutputStream literals = new ByteArrayOutputStream();
        short[] program = new short[pattern.length() * 4];
        int size = 0;
        boolean anyOne = false;
        for (int i = 0; i < pattern.length(); ) {
            int character = pattern.codePointAt(i);
            i += Character.charCount(character);
            if (character == escape) {
                if (i >= pattern.length()) {
                    throw new MalformedPatternException("the pattern " + TextFormat.quoted(pattern) + " ends with its escape character");
                }
                character = pattern.codePointAt(i);
                i += Character.charCount(character);
            } else if (character == '%') {
                if (size == 0 || program[size - 1] != ANY) {
                    program[size++] = ANY;
                }
                continue;
            } else if (character == '_') {
                program[size++] = ONE;
                anyOne = true;
                continue;
            }
            for (byte b : new String(Character.toChars(character)).getBytes(StandardCharsets.UTF_8)) {
                program[size++] = (short) (b & 0xFF);
            }
        }
        program = Arrays.copyOf(program, size);
        if (anyOne) {
            return new LikePattern(Shape.GENERAL, null, program);
        }
        int wildcards = 0;
        for (short unit : program) {
            if (unit == ANY) {
                wildcards++;
            } else {
                literals.write(unit);
            }
        }
        byte[] literal = literals.toByteArray();
        boolean leading = size > 0 && program[0] == ANY;
        boolean trailing = size > 0 && program[size - 1] == ANY;
        Shape shape;
        if (wildcards == 0) {
            shape = Shape.EXACT;
        } else if (literal.length == 0) {
            shape = Shape.EVERYTHING;
        } else if (wildcards == 1 && trailing) {
            shape = Shape.PREFIX;
        } else if (wildcards == 1 && leading) {
            shape = Shape.SUFFIX;
        } else if (wildcards == 2 && leading && trailing) {
            shape = Shape.CONTAINS;
        } else {
            shape = Shape.GENERAL;
        }
        return new LikePattern(shape, literal, program);
    }

    /** Whether {@code text[0 .. length)} (UTF-8) matches. */
    boolean matches(byte[] text, int length) {
        return switch (shape) {
            case EVERYTHING -> true;
            case EXACT -> length == literal.length && Arrays.equals(text, 0, length, literal, 0, literal.length);
            case PREFIX -> length >= literal.length && Arrays.equals(text, 0, literal.length, literal, 0, literal.length);
            case SUFFIX -> length >= literal.length
                    && Arrays.equals(text, length - literal.length, length, literal, 0, literal.length);
            case CONTAINS -> indexOf(text, length, literal) >= 0;
            case GENERAL -> matchesProgram(text, length);
        };
    }

    private static int indexOf(byte[] text, int length, byte[] literal) {
        byte first = literal[0];
        for (int start = 0, last = length - literal.length; start <= last; start++) {
            if (text[start] == first && Arrays.equals(text, start, start + literal.length, literal, 0, literal.length)) {
                return start;
            }
        }
        return -1;
    }

    private boolean matchesProgram(byte[] text, int length) {
        short[] units = program;
        int at = 0;
        int unit = 0;
        int lastAny = -1;
        int resumeAt = 0;
        while (at < length) {
            if (unit < units.length) {
                short next = units[unit];
                if (next == ANY) {
                    lastAny = unit++;
                    resumeAt = at;
                    continue;
                }
                if (next == ONE) {
                    at += characterLength(text[at]);
                    unit++;
                    continue;
                }
                if ((text[at] & 0xFF) == next) {
                    at++;
                    unit++;
                    continue;
                }
            }
            if (lastAny < 0) {
                return false;
            }
            // Let the last % take one more character and try again after it.
            unit = lastAny + 1;
            resumeAt += characterLength(text[resumeAt]);
            at = resumeAt;
        }
        while (unit < units.length && units[unit] == ANY) {
            unit++;
        }
        return unit == units.length && at == length;
    }

    /** The byte length of the UTF-8 character that starts with {@code lead} (1 for a stray byte). */
    static int characterLength(byte lead) {
        if (lead >= 0) {
            return 1;
        }
        if ((lead & 0xE0) == 0xC0) {
            return 2;
        }
        if ((lead & 0xF0) == 0xE0) {
            return 3;
        }
        return (lead & 0xF8) == 0xF0 ? 4 : 1;
    }
}
