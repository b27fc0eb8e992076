package org.aio4j.cookbook;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Java examples of {@code README.md} and {@code docs/*.md} compile against this build, and every complete program
 * among them (README has one) prints what the comments of its {@code System.out.println} lines say. A fragment is compiled inside a
 * class that declares the names the docs' fragments assume ({@link #CONTEXT}); a new fragment that needs more names
 * fails here until they are added there.
 */
class DocExamplesTest {

    private static final Pattern JAVA_BLOCK = Pattern.compile("(?m)^```java\\n(.*?)^```", Pattern.DOTALL);
    private static final Pattern CLASS_NAME = Pattern.compile("(?m)^public (?:final )?class (\\w+)");
    private static final Pattern PRINTED = Pattern.compile("System\\.out\\.println\\(.*\\);\\s*// (.*)");
    /** README's command that runs its program: {@code java -cp CLASSPATH Hello.java}, Java's source launcher. */
    private static final Pattern RUN_PROGRAM = Pattern.compile("`java -cp (\\S+) (\\w+)\\.java`");

    /** The imports and declarations a fragment is compiled with. */
    private static final String CONTEXT = """
            import static org.assertj.core.api.Assertions.assertThat;

            import java.time.Duration;
            import java.util.List;
            import org.aio4j.*;
            import org.aio4j.http.*;
            import org.aio4j.test.*;
            import org.junit.jupiter.api.RepeatedTest;
            import org.junit.jupiter.api.Test;
            import org.junit.jupiter.api.extension.ExtendWith;

            class %s {  // %s
                List<String> urls = List.of();
                void use(ClientResponse response) { }
                void log(ClientRequest request, Throwable error) { }

            %s
            }
            """;

    private record Example(String doc, int index, String code) {

        boolean isProgram() {
            return CLASS_NAME.matcher(code).find();
        }

        /** A fragment that declares methods (a test class's body) rather than statements. */
        boolean isMembers() {
            String first = code.strip();
            return first.startsWith("@") || first.startsWith("void ") || first.startsWith("public ");
        }

        String className() {
            if (isProgram()) {
                Matcher m = CLASS_NAME.matcher(code);
                m.find();
                return m.group(1);
            }
            return doc.replaceAll("\\W", "_") + "_example" + index;
        }

        String source() {
            if (isProgram()) {
                return code;
            }
            String body = isMembers() ? code : "void example() throws Exception {\n" + code + "}\n";
            return CONTEXT.formatted(className(), doc + ", example " + index, body.indent(4));
        }
    }

    private static Path root() {
        Path root = Path.of("").toAbsolutePath().getParent(); // tests run in the module's directory
        assertThat(root.resolve("README.md")).as("the repository's README next to the module").exists();
        return root;
    }

    private static List<Example> examples() throws IOException {
        Path root = root();
        List<Path> docs = new ArrayList<>(List.of(root.resolve("README.md")));
        try (Stream<Path> files = Files.list(root.resolve("docs"))) {
            files.filter(p -> p.toString().endsWith(".md")).sorted().forEach(docs::add);
        }
        List<Example> examples = new ArrayList<>();
        for (Path doc : docs) {
            Matcher m = JAVA_BLOCK.matcher(Files.readString(doc, StandardCharsets.UTF_8));
            for (int i = 1; m.find(); i++) {
                examples.add(new Example(root.relativize(doc).toString(), i, m.group(1)));
            }
        }
        return examples;
    }

    /** Compiles every example into {@code out}; fails with javac's messages, which name the doc and example. */
    private static void compile(List<Example> examples, Path out) throws IOException {
        Path sources = Files.createDirectories(out.resolve("src"));
        List<String> files = new ArrayList<>();
        for (Example e : examples) {
            Path file = sources.resolve(e.className() + ".java");
            Files.writeString(file, e.source(), StandardCharsets.UTF_8);
            files.add(file.toString());
        }
        List<String> options = List.of("-d", out.toString(), "-cp", System.getProperty("java.class.path"),
                "-proc:none", "-implicit:none", "-Xlint:none");
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        StringWriter messages = new StringWriter();
        boolean compiled = javac.getTask(messages, null, null, options, null,
                javac.getStandardFileManager(null, null, StandardCharsets.UTF_8).getJavaFileObjectsFromStrings(files))
                .call();
        assertThat(compiled).as("javac on the docs' examples:%n%s", messages).isTrue();
    }

    @Test
    void everyJavaExampleCompilesAndEveryProgramPrintsWhatItSays(@TempDir Path out) throws Exception {
        List<Example> examples = examples();
        assertThat(examples).as("examples found").hasSizeGreaterThanOrEqualTo(4);
        List<Example> programs = examples.stream().filter(Example::isProgram).toList();
        assertThat(programs).as("complete programs").anyMatch(e -> e.doc().equals("README.md"));
        compile(examples, out);
        for (Example program : programs) {
            assertPrintsWhatItSays(program, out);
        }
    }

    /**
     * README's program came with no word on how to run it: a newcomer who saved it had no classpath to give (and the
     * {@code java} on this machine's PATH is 17). The command README gives runs it, from the file it names.
     */
    @Test
    void readmeSaysHowToRunItsProgramAndThatCommandRunsIt(@TempDir Path dir) throws Exception {
        Matcher command = RUN_PROGRAM.matcher(Files.readString(root().resolve("README.md"), StandardCharsets.UTF_8));
        assertThat(command.find()).as("README's command that runs its program, `java -cp ... Hello.java`").isTrue();
        Example program = examples().stream().filter(e -> e.doc().equals("README.md") && e.isProgram()).findFirst()
                .orElseThrow();
        assertThat(command.group(2)).as("the file README's command runs").isEqualTo(program.className());
        Path source = Files.writeString(dir.resolve(program.className() + ".java"), program.code());
        assertPrintsWhatItSays(program, dir, root().resolve(command.group(1)).toString(), source.toString());
    }

    private static void assertPrintsWhatItSays(Example program, Path out) throws Exception {
        assertPrintsWhatItSays(program, out, out + File.pathSeparator + System.getProperty("java.class.path"),
                program.className());
    }

    /** Runs {@code java -cp classpath main} (a class, or a source file) and compares its lines with the comments. */
    private static void assertPrintsWhatItSays(Example program, Path out, String classpath, String main)
            throws Exception {
        List<String> expected = PRINTED.matcher(program.code()).results().map(r -> r.group(1).strip()).toList();
        assertThat(expected).as("the lines %s's program says it prints", program.doc()).isNotEmpty();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path printedFile = out.resolve(program.className() + ".out");
        Process p = new ProcessBuilder(java, "-cp", classpath, main)
                .redirectOutput(printedFile.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) { // a guard against a hang, not a measure: README's program sleeps 1 s
            p.destroyForcibly();
            throw new AssertionError(program.doc() + "'s program still runs after 60 s");
        }
        assertThat(p.exitValue()).as("%s's program's exit status", program.doc()).isZero();
        String printed = Files.readString(printedFile, StandardCharsets.UTF_8);
        assertThat(printed.lines().toList()).as("what %s's program prints", program.doc()).isEqualTo(expected);
    }
}
