"""No recipe adds ops to its graph once it trains (per-epoch graph growth slows every later step).

The harness finalizes a run's graph when the first training batch is requested or, for a
recipe with a loop of its own, when its first training step runs (``harness._finalizer``):
an op added after that fails the run. So every recipe's smoke run, which the suite trains
once anyway (``shared_run``), is the check: it completed, and its record says its graph was
finalized. A recipe whose graph was not finalized must be one that runs no training step on
its own graph; a watched run shows it (each ``Session.run`` on the run's graph is seen).
The mechanics, on recipes registered for one test: a loop of its own that adds an op per
step fails, one that builds its graph first is finalized, one that never trains is not.
"""

import pytest

from tf1_recipes import session_observer
from tf1_recipes.compat import tf1
from tf1_recipes.harness import RecipeConfig, run_recipe
from tf1_recipes.registry import list_recipes
from tf1_recipes.user_graph import elements, is_training_fetch

RECIPES = list_recipes()


@pytest.mark.parametrize("spec", RECIPES, ids=[r.name for r in RECIPES])
def test_every_recipe_trains_in_a_finalized_graph(spec, shared_run, run_quiet):
    if shared_run(spec.name).graph_finalized:
        return  # its smoke run trained in a finalized graph: an op added while it trained would have failed that run
    steps = []  # is-a-training-step per Session.run on the run's own graph

    def watched(proceed, session, fetches, *args):
        graph = session.graph
        if graph is session_observer.outermost_run_graph():
            steps.append(is_training_fetch(graph, elements(graph, fetches)))
        return proceed(session, fetches, *args)

    with session_observer.listen(on_run=watched):
        run_quiet(spec.name, "smoke", input_path="feed_dict")  # every step through Session.run
    assert not any(steps), f"{spec.name} trained in a graph the harness did not finalize"
    pytest.skip(f"{spec.name} runs no training step on its own graph")


def _register_for_this_test(monkeypatch, fn, name):
    """Put ``fn`` in the registry as recipe ``name`` (preset "tiny") for one test only."""
    from tf1_recipes import registry

    presets = {"tiny": {"train_size": 200, "n_epochs": 2}}
    monkeypatch.setitem(registry.RECIPES._entries, name, registry.Recipe(name, fn, presets, "tiny"))


def _grows_its_graph_while_training(run, *, n_epochs=2, batch_size=50):
    """Builds an op per step inside its training loop (the per-epoch graph growth the harness forbids)."""
    X = tf1.placeholder(tf1.float32, shape=(None, 784), name="X")
    total = tf1.reduce_sum(X)
    with tf1.Session() as sess:
        for epoch in range(n_epochs):
            for X_batch, _ in run.batches(batch_size):
                sess.run(total + 1.0, feed_dict={X: X_batch})  # a new Add op every step
            run.report(epoch, 0.0)


def _builds_then_trains(run, *, n_epochs=2, batch_size=50):
    """The reference shape: the whole graph first, then the Session loop."""
    X = tf1.placeholder(tf1.float32, shape=(None, 784), name="X")
    total = tf1.reduce_sum(X) + 1.0
    with tf1.Session() as sess:
        for epoch in range(n_epochs):
            for X_batch, _ in run.batches(batch_size):
                sess.run(total, feed_dict={X: X_batch})
            run.report(epoch, 0.0)


def test_the_graph_is_finalized_when_training_starts_and_opened_again_after(monkeypatch):
    seen = {}

    def trains(run, **hyper):
        _builds_then_trains(run, **hyper)
        seen["finalized_in_training"] = run.graph.finalized

    _register_for_this_test(monkeypatch, trains, "builds_then_trains")
    result = run_recipe(RecipeConfig("builds_then_trains", quiet=True))
    assert seen["finalized_in_training"] and result.history == [0.0, 0.0]
    assert not result.graph.finalized  # handed back for tools that inspect it (the doctor adds ops)
    with result.graph.as_default():
        tf1.constant(1.0)


def test_a_recipe_adding_ops_while_it_trains_fails(monkeypatch):
    _register_for_this_test(monkeypatch, _grows_its_graph_while_training, "grows_its_graph")
    with pytest.raises(RuntimeError, match="finalized"):
        run_recipe(RecipeConfig("grows_its_graph", quiet=True))


def _own_loop(run, *, n_epochs=2, batch_size=50, grow=False):
    """A linear model trained by its own loop over ``run.train_split()`` (no ``run.batches``).

    ``grow``: fetch ``loss * 2.0`` built inside the loop, a new op every step.
    """
    X = tf1.placeholder(tf1.float32, shape=(None, 784), name="X")
    w = tf1.Variable(tf1.zeros([784, 1]), name="w")
    loss = tf1.reduce_mean(tf1.square(tf1.matmul(X, w) - 1.0))
    training_op = tf1.train.GradientDescentOptimizer(0.01).minimize(loss)
    init = tf1.global_variables_initializer()
    X_train, _ = run.train_split()
    with tf1.Session() as sess:
        sess.run(init)
        for epoch in range(n_epochs):
            for start in range(0, len(X_train), batch_size):
                fetched = loss * 2.0 if grow else loss
                _, value = sess.run([training_op, fetched], feed_dict={X: X_train[start:start + batch_size]})
            run.report(epoch, float(value))


def test_a_recipe_whose_own_loop_adds_ops_fails(monkeypatch):
    _register_for_this_test(monkeypatch, lambda run, **hyper: _own_loop(run, grow=True, **hyper), "own_loop_grows")
    with pytest.raises(RuntimeError, match="finalized"):
        run_recipe(RecipeConfig("own_loop_grows", quiet=True))


def test_a_recipe_with_its_own_loop_is_finalized_at_its_first_training_step(monkeypatch):
    seen = {}

    def trains(run, **hyper):
        assert not tf1.get_default_graph().finalized  # built, not yet trained
        _own_loop(run, **hyper)
        seen["finalized_in_training"] = run.graph.finalized

    _register_for_this_test(monkeypatch, trains, "own_loop")
    result = run_recipe(RecipeConfig("own_loop", quiet=True))
    assert seen["finalized_in_training"] and result.graph_finalized and len(result.history) == 2
    assert not result.graph.finalized  # handed back for tools that inspect it


def test_a_recipe_that_never_trains_is_not_finalized(monkeypatch):
    def evaluates(run, **hyper):
        X = tf1.placeholder(tf1.float32, shape=(None, 784), name="X")
        total = tf1.reduce_sum(X)
        with tf1.Session() as sess:
            value = sess.run(total, feed_dict={X: run.train_split()[0][:10]})
            tf1.constant(1.0)  # an op after a Session.run that trains nothing is fine
        run.report(0, float(value))

    _register_for_this_test(monkeypatch, evaluates, "evaluates")
    assert run_recipe(RecipeConfig("evaluates", quiet=True)).graph_finalized is False
