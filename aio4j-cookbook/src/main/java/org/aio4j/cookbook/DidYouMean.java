package org.aio4j.cookbook;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What a user most likely meant by a name that is none: the same name written another way ({@code Two_Tasks}), one
 * known by an alias (a recipe's class, {@code LimitedParallel}, as {@code docs/cookbook.md} lists them), the start of
 * just one name ({@code async}), or a name one or two typing slips away ({@code baisc}, {@code gahter}).
 */
final class DidYouMean {

    /** The shortest start of a name taken as meaning it: "q" or "wa" say too little. */
    private static final int MIN_PREFIX = 3;

    private DidYouMean() {
    }

    /**
     * The name of {@code names} that {@code given} most likely means, if one is close enough; {@code aliases} maps
     * other names (a recipe's class) to names of {@code names}.
     */
    static Optional<String> among(String given, List<String> names, Map<String, String> aliases) {
        String g = key(given);
        for (String name : names) {
            if (key(name).equals(g)) {
                return Optional.of(name);
            }
        }
        for (Map.Entry<String, String> alias : aliases.entrySet()) {
            if (key(alias.getKey()).equals(g)) {
                return Optional.of(alias.getValue());
            }
        }
        List<String> starting = names.stream().filter(n -> g.length() >= MIN_PREFIX && key(n).startsWith(g)).toList();
        if (starting.size() == 1) {
            return Optional.of(starting.getFirst());
        }
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String name : names) {
            int d = distance(g, key(name));
            if (d <= Math.max(1, key(name).length() / 3) && d < bestDistance) {
                best = name;
                bestDistance = d;
            }
        }
        return Optional.ofNullable(best);
    }

    /** {@code name} lower-cased, without the hyphens, underscores and spaces that separate its words. */
    private static String key(String name) {
        return name.toLowerCase(Locale.ROOT).replaceAll("[-_ ]", "");
    }

    /**
     * The number of one-character edits (insert, delete, replace, swap two neighbours) that turn {@code a} into
     * {@code b}: the optimal string alignment distance.
     */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
