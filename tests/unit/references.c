/* placeholder: being written */


