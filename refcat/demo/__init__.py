"""The synthetic demo dataset: deterministic DAVIS-2017-format videos with referring expressions.

`refcat.demo.generator.write_demo_dataset` makes it; its modules, in the order a video is made:

    scene          the twelve scene templates and the plans drawn from them (objects, colours, trajectories)
    sprites        each object class drawn as a small RGBA sprite
    render         a video's frames and label maps: background, shadows, sprites back to front
    expressions    the two annotators' REs, from claims checked against the boxes measured on the masks
    davis_layout   the files of the DAVIS-2017 layout: frames, palette masks, split lists, classes, RE files
    generator      runs the above for every video and writes `demo_scene.json`, the scene's ground truth

`refcat.demo.diagnostic.write_diagnostic_dataset` uses the same modules for the motion diagnostic:
pairs of objects of one class told apart only by motion, colour or position (docs/diagnostic.md).
"""
