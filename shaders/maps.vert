// vis3d far maps: one quad per node grid (a channel of a feature map, or a large fully
// connected layer), in the grid's own plane. a_cell is the cell-space coordinate: the
// corners are (0, 0) .. (cols, rows), so cell (c, r) spans [c, c+1] x [r, r+1] and its
// centre is where node (r, c) sits. maps.frag draws each cell as the node would look.

attribute vec3 a_position;
attribute vec2 a_cell;
attribute vec4 a_tile;      // x: first node div atlas width, y: first node mod atlas width,
                            // z: cols, w: node count (all whole numbers, exact as floats)
attribute float a_size;     // node diameter, world units (as in nodes.vert)
attribute vec3 a_block;     // the tile's colour pyramid block: corner x, y (texels), side

varying vec2 v_cell;
varying float v_w;          // clip w: exact per fragment (perspective-correct interpolation)
varying vec4 v_tile;
varying float v_size;
varying vec3 v_block;

void main(void) {
    vec4 clip = $transform(vec4(a_position, 1.0));
    gl_Position = clip;
    v_cell = a_cell;
    v_w = clip.w;
    v_tile = a_tile;
    v_size = a_size;
    v_block = a_block;
}
