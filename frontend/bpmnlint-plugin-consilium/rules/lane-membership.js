const { is } = require('bpmnlint-utils');

/** Lanes name roles: in a process with lanes, every flow node is in exactly one lane. */
module.exports = function() {
  function lanesOf(laneSet, lanes) {
    for (const lane of (laneSet && laneSet.lanes) || []) {
      lanes.push(lane);
      lanesOf(lane.childLaneSet, lanes);
    }
    return lanes;
  }

  function check(node, reporter) {
    if (!is(node, 'bpmn:Process') && !is(node, 'bpmn:SubProcess')) {
      return;
    }
    const lanes = (node.laneSets || []).flatMap((laneSet) => lanesOf(laneSet, []))
      .filter((lane) => !(lane.childLaneSet && (lane.childLaneSet.lanes || []).length));
    if (!lanes.length) {
      return;
    }
    const count = new Map();
    for (const lane of lanes) {
      for (const flowNode of lane.flowNodeRef || []) {
        count.set(flowNode, (count.get(flowNode) || 0) + 1);
      }
    }
    for (const element of node.flowElements || []) {
      if (!is(element, 'bpmn:FlowNode')) {
        continue;
      }
      const lanesHolding = count.get(element) || 0;
      if (lanesHolding === 0) {
        reporter.report(element.id, 'Element lies in no lane: lanes name the role that acts on it');
      } else if (lanesHolding > 1) {
        reporter.report(element.id, 'Element lies in more than one lane');
      }
    }
  }
  return { check };
};
