package org.aio4j.cookbook;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What CPython 3.11 printed for the seed's recipes ({@code python3 seed_recipes.py all 0.05}), by section. */
final class ReferenceOutput {

    private ReferenceOutput() {
    }

    /** Every line of the output, the sections' headers ({@code == basic}) included. */
    static List<String> lines() throws IOException {
        try (InputStream in = ReferenceOutput.class.getResourceAsStream("/seed_recipes.expected.txt")) {
            if (in == null) {
                throw new IllegalStateException("seed_recipes.expected.txt missing from test resources");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        }
    }

    static Map<String, List<String>> sections() throws IOException {
        var sections = new LinkedHashMap<String, List<String>>();
        List<String> current = null;
        for (String line : lines()) {
            if (line.startsWith("== ")) {
                current = new ArrayList<>();
                sections.put(line.substring(3), current);
            } else if (current != null && !line.isEmpty()) {
                current.add(line);
            }
        }
        return sections;
    }
}
