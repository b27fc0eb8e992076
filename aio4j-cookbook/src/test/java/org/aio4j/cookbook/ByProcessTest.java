package org.aio4j.cookbook;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ByProcessTest {

    @Test
    void everyNumberIsSquaredExactlyOnceInAWorkerProcess() throws Exception {
        List<ByProcess.Squared> results = ByProcess.squares(new Options(1, false));
        assertThat(results).extracting(ByProcess.Squared::num).containsExactlyInAnyOrder(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        assertThat(results).allSatisfy(r -> assertThat(r.square()).isEqualTo(r.num() * r.num()));
        List<Long> pids = results.stream().map(ByProcess.Squared::pid).distinct().toList();
        assertThat(pids).doesNotContain(ProcessHandle.current().pid()).hasSizeBetween(1, 2);
    }
}
