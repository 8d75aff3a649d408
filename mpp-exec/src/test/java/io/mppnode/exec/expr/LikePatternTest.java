package io.mppnode.exec.expr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class LikePatternTest {
    @Test
    void underscoreIsOneCharacterOfAnyByteLength() throws Exception {
        LikePattern one = LikePattern.compile("_", '\\');
        assertThat(matches(one, "a")).isTrue();
        assertThat(matches(one, "ü")).isTrue();
        assertThat(matches(one, "東")).isTrue();
        assertThat(matches(one, "😀")).isTrue();
        assertThat(matches(one, "")).isFalse();
        assertThat(matches(one, "ab")).isFalse();
        assertThat(matches(one, "e\u0301")).as("a letter and a combining accent are two code points").isFalse();
        assertThat(matches(LikePattern.compile("_京", '\\'), "東京")).isTrue();
        assertThat(matches(LikePattern.compile("_京", '\\'), "京")).isFalse();
        assertThat(matches(LikePattern.compile("%😀_", '\\'), "x😀😀")).isTrue();
    }

    @Test
    void escapesMakeTheNextCharacterLiteral() throws Exception {
        assertThat(matches(LikePattern.compile("a\\%b", '\\'), "a%b")).isTrue();
        assertThat(matches(LikePattern.compile("a\\%b", '\\'), "axb")).isFalse();
        assertThat(matches(LikePattern.compile("a\\\\b", '\\'), "a\\b")).isTrue();
        assertThat(matches(LikePattern.compile("\\a", '\\'), "a")).as("an escaped ordinary character is itself").isTrue();
        assertThat(matches(LikePattern.compile("a%%b", '%'), "a%b")).as("the escape may be a wildcard character").isTrue();
        assertThat(matches(LikePattern.compile("a%%b", '%'), "axb")).isFalse();
        assertThat(matches(LikePattern.compile("%ü_%", 'ü'), "x_y")).as("a multi-byte escape").isTrue();
        assertThat(matches(LikePattern.compile("%ü_%", 'ü'), "xzy")).isFalse();
        assertThatThrownBy(() -> LikePattern.compile("50\\", '\\')).isInstanceOf(LikePattern.MalformedPatternException.class)
                .hasMessage("the pattern '50\\' ends with its escape character");
    }

    @Test
    void backtrackingPatternsStayFast() throws Exception {
        assertThat(matches(LikePattern.compile("%a%b%c%", '\\'), "xxaxxbxxc")).isTrue();
        assertThat(matches(LikePattern.compile("%a%b%c%", '\\'), "cba")).isFalse();
        String many = "a".repeat(10_000);
        assertThat(matches(LikePattern.compile("%a%a%a%a%a%b", '\\'), many)).isFalse();
        assertThat(matches(LikePattern.compile("%aab", '\\'), many)).isFalse();
    }

    /** Every shape of pattern against a regular expression built from it, on random strings and patterns. */
    @Test
    void agreesWithARegularExpression() throws Exception {
        String[] pieces = {"a", "b", "ü", "東", "😀", "%", "_", "\\"};
        Random random = new Random(5);
        for (int i = 0; i < 20_000; i++) {
            String pattern = random(random, pieces, 6);
            if (pattern.endsWith("\\") && !pattern.endsWith("\\\\")) {
                pattern += "a";
            }
            String text = random(random, new String[] {"a", "b", "ü", "東", "😀", "%", "_", "\\"}, 8);
            boolean expected;
            try {
                expected = regex(pattern).matcher(text).matches();
            } catch (IllegalArgumentException e) {
                continue;
            }
            LikePattern compiled;
            try {
                compiled = LikePattern.compile(pattern, '\\');
            } catch (LikePattern.MalformedPatternException e) {
                continue;
            }
            assertThat(matches(compiled, text)).as("'%s' LIKE '%s'", text, pattern).isEqualTo(expected);
        }
    }

    private static String random(Random random, String[] pieces, int maxLength) {
        StringBuilder text = new StringBuilder();
        for (int i = random.nextInt(maxLength + 1); i > 0; i--) {
            text.append(pieces[random.nextInt(pieces.length)]);
        }
        return text.toString();
    }

    /** The reference: % is .*, _ is one code point, \ escapes; throws for a trailing escape. */
    private static Pattern regex(String like) {
        StringBuilder regex = new StringBuilder();
        for (int i = 0; i < like.length(); ) {
            int character = like.codePointAt(i);
            i += Character.charCount(character);
            if (character == '\\') {
                if (i >= like.length()) {
                    throw new IllegalArgumentException("trailing escape");
                }
                character = like.codePointAt(i);
                i += Character.charCount(character);
                regex.append(Pattern.quote(Character.toString(character)));
            } else if (character == '%') {
                regex.append(".*");
            } else if (character == '_') {
                regex.append('.');
            } else {
                regex.append(Pattern.quote(Character.toString(character)));
            }
        }
        return Pattern.compile(regex.toString(), Pattern.DOTALL);
    }

    private static boolean matches(LikePattern pattern, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return pattern.matches(bytes, bytes.length);
    }
}
