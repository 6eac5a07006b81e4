# PV for hdrnn's own recipes. The version has one source, __version__ in the Python
# package of the repository that holds this layer (HDRNN_SRCDIR); the native build gets
# it through -DHDRNN_VERSION. The file is a parse dependency: a new version reparses.

def hdrnn_version(d):
    import os
    path = os.path.join(d.getVar('HDRNN_SRCDIR'), 'python', 'src', 'hdrnn', '__init__.py')
    bb.parse.mark_dependency(d, path)
    with open(path) as f:
        for line in f:
            if line.startswith('__version__ = '):
                return line.split('"')[1]
    bb.fatal('%s: no __version__ line' % path)

PV = "${@hdrnn_version(d)}"
