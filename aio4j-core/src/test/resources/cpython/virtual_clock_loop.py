# The loop on which the CPython side of the differential tests that say "CPython run on a virtual clock" ran
# (TimeoutCPythonTest, CombinatorsCPythonTest, TaskGroupCPythonTest): asyncio's own SelectorEventLoop, whose clock
# jumps to the next timer instead of waiting for it, as aio4j's virtual clock does, so that the times printed are
# exact and a run prints the same every time. Use it as
#   asyncio.run(main(), loop_factory=VirtualLoop)      # CPython 3.12 or later
# Timers due at the same time keep asyncio's heap order, which aio4j does not follow (see EventLoop): the programs
# avoid such ties.
import asyncio


class VirtualLoop(asyncio.SelectorEventLoop):
    def __init__(self):
        super().__init__()
        self._virtual_time = 0.0
        select = self._selector.select

        def jump_then_poll(timeout=None):
            # _run_once passes the time until the next timer (None when there is none, 0 when work is ready)
            if timeout is not None and timeout > 0:
                self._virtual_time += timeout
            return select(0)

        self._selector.select = jump_then_poll

    def time(self):
        return self._virtual_time
