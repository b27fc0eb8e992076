package org.aio4j.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.InvalidClassException;
import java.io.ObjectOutputStream;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The allow-list and the filter on their own, without worker JVMs: the parent's side of the lockdown. */
class PayloadsTest {

    private static final AllowList DEFAULTS = new AllowList(AllowList.DEFAULTS, 100, 1 << 20);
    private static final ClassLoader LOADER = PayloadsTest.class.getClassLoader();

    private static byte[] plainlySerialized(Object o) throws Exception {
        var bytes = new ByteArrayOutputStream();
        try (var out = new ObjectOutputStream(bytes)) {
            out.writeObject(o);
        }
        return bytes.toByteArray();
    }

    private static Object read(byte[] bytes) throws Exception {
        return Payloads.decode(bytes, DEFAULTS, Set.of(), LOADER, "reading a result in the parent");
    }

    @Test
    void theDefaultsLetBoxedValuesStringsCollectionsNumbersAndExceptionsThrough() throws Exception {
        Map<String, List<Object>> value = new HashMap<>(Map.of("k", new ArrayList<>(List.of(1, 2L, 3.0, 'c', true,
                new BigDecimal("1.5"), new int[] {1, 2}, new String[] {"a"}, List.of("immutable")))));
        Object back = read(Payloads.encode(value, DEFAULTS, Set.of(), "in a test"));
        assertThat(back).usingRecursiveComparison().isEqualTo(value);
        var error = new IllegalStateException("boom", new WorkerTasks.TaskFailed("cause"));
        assertThat((Throwable) read(Payloads.encode(error, DEFAULTS, Set.of(), "in a test")))
                .isInstanceOf(IllegalStateException.class).hasMessage("boom")
                .hasCauseInstanceOf(WorkerTasks.TaskFailed.class);
    }

    @Test
    void theParentRefusesAForgedResultOfAClassOutsideTheAllowList() throws Exception {
        assertThatThrownBy(() -> read(plainlySerialized(new WorkerTasks.Secret("x"))))
                .isInstanceOf(InvalidClassException.class)
                .hasMessage(WorkerTasks.Secret.class.getName() + "; refused by the process pool's allow-list "
                        + "(reading a result in the parent): allow it with ProcessPool.builder()"
                        + ".allow(\"org.aio4j.process.WorkerTasks$Secret\") or .allow(\"org.aio4j.process.*\")");
        // Hidden inside an allowed collection, too.
        assertThatThrownBy(() -> read(plainlySerialized(new ArrayList<>(List.of(new WorkerTasks.Secret("x"))))))
                .isInstanceOf(InvalidClassException.class).hasMessageStartingWith(WorkerTasks.Secret.class.getName());
    }

    @Test
    void theWayToAllowARefusedClassIsOneThatCompilesWhateverTheClass() throws Exception {
        // The message said allow(java.time.Ser.class) for a Duration (serialized as the package-private
        // java.time.Ser), allow([Lorg...Secret;.class) for an array, and allow(...PayloadsTest.1Local.class) for a
        // local class: none of them compiles. A class that cannot be named so is given by its name, which always
        // works; a public one keeps the class literal.
        record Local(int n) implements java.io.Serializable {
        }
        assertThatThrownBy(() -> Payloads.encode(java.time.Duration.ofSeconds(1), DEFAULTS, Set.of(), "in a test"))
                .hasMessage("java.time.Ser; refused by the process pool's allow-list (in a test): allow it with"
                        + " ProcessPool.builder().allow(\"java.time.Ser\") or .allow(\"java.time.*\")");
        assertThatThrownBy(() -> read(plainlySerialized(new WorkerTasks.Secret[] {new WorkerTasks.Secret("x")})))
                .hasMessageEndingWith("allow it with ProcessPool.builder().allow(\""
                        + WorkerTasks.Secret.class.getName() + "\") or .allow(\"org.aio4j.process.*\")");
        assertThatThrownBy(() -> read(plainlySerialized(new Local(1))))
                .hasMessageEndingWith("allow it with ProcessPool.builder().allow(\"" + Local.class.getName()
                        + "\") or .allow(\"org.aio4j.process.*\")");
        assertThatThrownBy(() -> read(plainlySerialized(new java.net.InetSocketAddress(80))))
                .hasMessageEndingWith("allow it with ProcessPool.builder().allow(java.net.InetSocketAddress.class)"
                        + " or .allow(\"java.net.*\")");
        // Read back, a Ser is replaced by the Duration it stands for, which the filter then sees, and refuses as
        // the next message would say: allowing the package allows both.
        var allowing = new AllowList(List.of("java.time.Ser", "java.time.Duration",
                WorkerTasks.Secret.class.getName(), Local.class.getName()), 100, 1 << 20);
        assertThat(Payloads.decode(plainlySerialized(java.time.Duration.ofSeconds(1)), allowing, Set.of(), LOADER,
                "in a test")).isEqualTo(java.time.Duration.ofSeconds(1));
        assertThat(Payloads.decode(plainlySerialized(new Local(2)), allowing, Set.of(), LOADER, "in a test"))
                .isEqualTo(new Local(2));
    }

    @Test
    void theParentRefusesAForgedArrayLengthBeforeAllocatingIt() throws Exception {
        byte[] bytes = plainlySerialized(new int[] {0x11111111, 0x11111111, 0x11111111});
        int at = indexOf(bytes, new byte[] {0, 0, 0, 3, 0x11, 0x11, 0x11, 0x11});
        bytes[at] = 0x7f;
        bytes[at + 1] = (byte) 0xff;
        assertThatThrownBy(() -> read(bytes))
                .isInstanceOf(InvalidClassException.class)
                .hasMessageContaining("an array of 2147418115 elements cannot come from a payload of " + bytes.length
                        + " bytes");
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("pattern not found");
    }

    @Test
    void aGraphTooDeepIsRefusedSayingHowToRaiseTheLimitNotAsAClassOutsideTheAllowList() throws Exception {
        // It read "payload; refused by the process pool's allow-list (...)": no class named payload, no allow-list
        // involved, and no word of maxDepth's setter.
        Object deep = List.of();
        for (int i = 0; i < 150; i++) {
            deep = new ArrayList<>(List.of(deep));
        }
        byte[] bytes = Payloads.encode(deep, DEFAULTS, Set.of(), "in a test");
        assertThatThrownBy(() -> read(bytes))
                .isInstanceOf(InvalidClassException.class)
                .hasMessage("refused by the process pool (reading a result in the parent): the object graph is deeper "
                        + "than the pool's maxDepth 100; raise it with ProcessPool.builder().maxDepth(...)");
    }

    @Test
    void writingChecksTheAllowListAndTheSizeToo() {
        assertThatThrownBy(() -> Payloads.encode(new WorkerTasks.Secret("x"), DEFAULTS, Set.of(), "in a test"))
                .isInstanceOf(InvalidClassException.class)
                .hasMessageContaining("refused by the process pool's allow-list (in a test)");
        var small = new AllowList(AllowList.DEFAULTS, 100, 64 << 10);
        assertThatThrownBy(() -> Payloads.encode(new byte[100_000], small, Set.of(), "in the task's result"))
                .isInstanceOf(java.io.InvalidObjectException.class)
                .hasMessage("payload in the task's result is larger than the pool's maxPayloadBytes 65536");
    }

    @Test
    void aTaskOfItsOwnClassIsAllowedForThatPayloadOnly() throws Exception {
        SquareTask task = new SquareTask(5);
        Payloads.Payload p = Payloads.encodeTask(task, DEFAULTS);
        assertThat(p.own()).containsExactly(SquareTask.class.getName());
        assertThat(p.description()).isEqualTo("the task (a " + SquareTask.class.getName() + ")");
        Object back = Payloads.decode(p.bytes(), DEFAULTS, p.own(), LOADER, "reading the task");
        assertThat(((SquareTask) back).call()).isEqualTo(25);
        assertThatThrownBy(() -> read(p.bytes())).isInstanceOf(InvalidClassException.class);
    }

    @Test
    void aLambdasCapturingClassIsItsOwnClass() throws Exception {
        int n = 6;
        SerializableCallable<Integer> lambda = () -> n * n;
        Payloads.Payload p = Payloads.encodeTask(lambda, DEFAULTS);
        assertThat(p.own()).containsExactly(PayloadsTest.class.getName());
        assertThat(p.description()).isEqualTo("the task (a lambda in " + PayloadsTest.class.getName() + ")");
        @SuppressWarnings("unchecked")
        var back = (SerializableCallable<Integer>) Payloads.decode(p.bytes(), DEFAULTS, p.own(), LOADER, "reading");
        assertThat(back.call()).isEqualTo(36);
    }

    record SquareTask(int n) implements SerializableCallable<Integer> {
        @Override
        public Integer call() {
            return n * n;
        }
    }

    @Test
    void patternsMatchAClassAPackageASubtreeOrAPrefix() {
        var list = new AllowList(List.of("a.b.Exact", "p.*", "t.**", "pre.Fix*"), 10, 1 << 20);
        assertThat(list.allows(int[][].class, Set.of())).isTrue();
        assertThat(list.allows(RuntimeException.class, Set.of())).isTrue();
        assertThat(list.allows(String.class, Set.of())).isFalse();
        assertThat(list.allows(String[].class, Set.of(String.class.getName()))).isTrue();
        assertThat(new AllowList(List.of("java.util.*"), 10, 1 << 20).allows(
                java.util.concurrent.ConcurrentHashMap.class, Set.of())).isFalse();
        assertThat(new AllowList(List.of("java.util.**"), 10, 1 << 20).allows(
                java.util.concurrent.ConcurrentHashMap.class, Set.of())).isTrue();
        assertThat(new AllowList(List.of("java.util.concurrent.Concurrent*"), 10, 1 << 20).allows(
                java.util.concurrent.ConcurrentHashMap.class, Set.of())).isTrue();
        assertThat(new AllowList(List.of("java.util.concurrent.ConcurrentHashMap"), 10, 1 << 20).allows(
                java.util.concurrent.ConcurrentHashMap[].class, Set.of())).isTrue();
        assertThatThrownBy(() -> AllowList.checkPattern("a.b.C;!*"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("allow-list pattern 'a.b.C;!*' is not a class name, 'package.*', 'package.**' or "
                        + "'Prefix*' (bad character ';')");
        assertThatThrownBy(() -> AllowList.checkPattern(" "))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must not be empty");
    }

    @Test
    void aPatternThatCouldMatchNoClassIsRefusedNotAcceptedSilently() {
        // Each would be accepted and then allow nothing: the classes meant stay refused, and the refusal's
        // "allow it with ..." advice names the pattern the user believes they gave.
        for (String bad : List.of("com.example.", ".*", "com..example.*", "com.example..**", "com.1example.Point",
                ".**", ".Point*")) {
            assertThatThrownBy(() -> AllowList.checkPattern(bad)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("allow-list pattern '" + bad + "' is not a class name, 'package.*', "
                            + "'package.**' or 'Prefix*'");
        }
        for (String good : List.of("com.example.Point", "com.example.*", "com.example.**", "com.example.Po*",
                "com.example.Outer$Inner", "Top", "*")) {
            assertThat(AllowList.checkPattern(good)).isEqualTo(good);
        }
    }

    @Test
    void theAllowListTravelsToTheWorkerAsArguments() {
        var list = new AllowList(List.of("a.b.*", "c.D"), 42, 1 << 20);
        var back = AllowList.fromArgs(list.toArgs());
        assertThat(back.toString()).isEqualTo(list.toString());
        assertThat(back.maxDepth).isEqualTo(42);
    }
}
